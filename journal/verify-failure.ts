import { type z } from 'zod'

/** The verifier's one-line reports, French then English (journal/README.md). */
export type VerifyFailure = {
  ok: false
  /** unreadable: not an export at all (exit 2); tampered: an export that does not verify (exit 1). */
  kind: 'unreadable' | 'tampered'
  message: string
  /** Position in the export's entry list and leaf index, when one entry is to blame. */
  entry?: number
  leafIndex?: number
}

export class Failure extends Error {
  constructor(
    readonly kind: VerifyFailure['kind'],
    message: string,
    readonly entry?: number,
    readonly leafIndex?: number,
  ) {
    super(message)
  }

  toResult(): VerifyFailure {
    return { ok: false, kind: this.kind, message: this.message, ...(this.entry === undefined ? {} : { entry: this.entry, leafIndex: this.leafIndex }) }
  }
}

export function tampered(fr: string, en: string): Failure {
  return new Failure('tampered', `${fr} / ${en}`)
}

export function entryFailure({ position, index, fr, en }: { position: number; index: number; fr: string; en: string }): Failure {
  return new Failure('tampered', `entrée n° ${position} (leaf ${index}) : ${fr} / entry ${position} (leaf ${index}): ${en}`, position, index)
}

export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'invalide / invalid'
  return issue.path.length > 0 ? `${issue.path.join('.')} : ${issue.message}` : issue.message
}
