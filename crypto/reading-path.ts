import { verifyNote, type AuthorKeyResolver, type OpenedNote } from './notes.ts'

export type VerificationProgress = { verified: number; rejected: number; total: number }

/** Yields to the event loop without the 4 ms clamp of nested setTimeout in browsers. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel()
    channel.port1.onmessage = () => {
      channel.port1.close()
      channel.port2.close()
      resolve()
    }
    channel.port2.postMessage(null)
  })
}

/**
 * Checks author signatures in batches, yielding between them so the first screen stays
 * responsive; `onProgress` receives each batch's results to upgrade the badges in place.
 */
export async function verifyNotesInBackground({
  notes,
  authorSignPublicKey,
  batchSize = 50,
  onProgress,
  signal,
}: {
  notes: readonly OpenedNote[]
  authorSignPublicKey: AuthorKeyResolver
  batchSize?: number
  onProgress?: (progress: VerificationProgress & { batch: readonly OpenedNote[] }) => void
  signal?: AbortSignal
}): Promise<OpenedNote[]> {
  const results: OpenedNote[] = []
  let verified = 0
  let rejected = 0
  for (let start = 0; start < notes.length; start += batchSize) {
    if (signal?.aborted) break
    const batch = notes.slice(start, start + batchSize).map((note) => {
      const checked = verifyNote({ note, authorSignPublicKey: authorSignPublicKey(note.header.authorId) })
      if (checked.verification === 'verified') verified++
      else rejected++
      return checked
    })
    results.push(...batch)
    onProgress?.({ verified, rejected, total: notes.length, batch })
    if (start + batchSize < notes.length) await yieldToEventLoop()
  }
  return results
}
