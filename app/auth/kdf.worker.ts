/**
 * Web Worker entry (bundled by tools/build-workers.ts into public/workers/kdf.js): runs Argon2id off
 * the main thread so the page keeps painting (DESIGN §6). One derivation per worker: the page
 * terminates it afterwards, which frees the WebAssembly memory that held the password and root.
 */
import { deriveAccountSecrets } from '#crypto/account.ts'
import { CryptoError } from '#crypto/errors.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { type KdfWorkerReply, kdfWorkerRequestSchema } from './kdf-protocol.ts'

type WorkerScope = {
  onmessage: ((event: MessageEvent) => void) | null
  postMessage: (message: KdfWorkerReply, options?: { transfer?: Transferable[] }) => void
}
const scope = globalThis as unknown as WorkerScope
const started = performance.now()

// Loading libsodium (compiling its WebAssembly) starts at once: the page spawns the worker when the
// form shows, so by the time the person submits, only Argon2id itself remains.
const ready = initCrypto().then(() => {
  scope.postMessage({ type: 'ready' })
  return performance.now() - started
})

scope.onmessage = event => {
  void handle(event.data).then(({ reply, transfer }) => scope.postMessage(reply, { transfer }))
}

async function handle(data: unknown): Promise<{ reply: KdfWorkerReply; transfer: Transferable[] }> {
  const request = kdfWorkerRequestSchema.safeParse(data)
  if (!request.success) return { reply: { type: 'derived', ok: false, reason: 'bad_request', message: 'Requête de dérivation invalide.' }, transfer: [] }
  try {
    const readyMs = await ready
    const derivationStart = performance.now()
    const { keyEncryptionKey, authSecret } = deriveAccountSecrets({ ...request.data, kdfParams: request.data.kdfParams })
    const derivedMs = performance.now() - derivationStart
    return {
      reply: { type: 'derived', ok: true, keyEncryptionKey, authSecret, timings: { readyMs, derivedMs } },
      transfer: [keyEncryptionKey.buffer, authSecret.buffer],
    }
  } catch (error) {
    if (error instanceof CryptoError) return { reply: { type: 'derived', ok: false, reason: 'refused', message: error.message }, transfer: [] }
    // libsodium reports a failed WebAssembly memory growth as a plain Error (or a RangeError).
    return { reply: { type: 'derived', ok: false, reason: 'out_of_memory', message: error instanceof Error ? error.message : String(error) }, transfer: [] }
  }
}
