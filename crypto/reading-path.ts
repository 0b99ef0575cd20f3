import { verifyNote, type AuthorKeyResolver, type CheckedNote, type PendingNote } from './notes.ts'

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
 * Checks author signatures in batches, yielding between them so the page stays responsive.
 * Pending notes carry no body: only what comes back `verified` (here, or from openAndVerifyNote
 * for the first screen) can be rendered; `onProgress` receives each batch to show it in place.
 */
export async function verifyNotesInBackground({
  notes,
  authorKeyAt,
  batchSize = 50,
  onProgress,
  signal,
}: {
  notes: readonly PendingNote[]
  authorKeyAt: AuthorKeyResolver
  batchSize?: number
  onProgress?: (progress: VerificationProgress & { batch: readonly CheckedNote[] }) => void
  signal?: AbortSignal
}): Promise<CheckedNote[]> {
  const results: CheckedNote[] = []
  let verified = 0
  let rejected = 0
  for (let start = 0; start < notes.length; start += batchSize) {
    if (signal?.aborted) break
    const batch = notes.slice(start, start + batchSize).map((note) => {
      const checked = verifyNote({ note, authorKeyAt })
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
