import { deriveAccountSecrets, type AccountSecrets } from '#crypto/account.ts'
import { type KdfWorkerReply, type KdfWorkerRequest } from './kdf-protocol.ts'

/** Why a derivation did not happen; each has its French message in kdfFailureMessage. */
export type KdfFailureReason = 'refused' | 'out_of_memory' | 'worker_unavailable'

export class KdfFailure extends Error {
  override name = 'KdfFailure'
  readonly reason: KdfFailureReason
  constructor({ reason, message }: { reason: KdfFailureReason; message: string }) {
    super(message)
    this.reason = reason
  }
}

const MESSAGES: Record<KdfFailureReason, string> = {
  refused: 'Paramètres de dérivation trop faibles ou invalides envoyés par le serveur : connexion refusée. Votre mot de passe n’a pas été utilisé.',
  out_of_memory:
    'Votre navigateur n’a pas pu réserver la mémoire nécessaire au calcul de vos clés. Fermez d’autres onglets ou applications et réessayez ; si cela persiste, utilisez un autre appareil.',
  worker_unavailable: 'Le module de calcul des clés n’a pas pu être chargé. Rechargez la page ; si cela persiste, prévenez l’administration de la plateforme.',
}

type Pending = { worker: Worker; replies: KdfWorkerReply[]; failed: boolean; wake: () => void }

/** Spawned ahead (when a password form shows), so libsodium is loaded by the time the person submits. */
let spare: Pending | null = null

function workerUrl(): string {
  // The Remix build version busts the one-hour cache of public/ at every deploy (decision 021).
  const version = (window as unknown as { __remixManifest?: { version?: string } }).__remixManifest?.version ?? 'dev'
  return `/workers/kdf.js?v=${encodeURIComponent(version)}`
}

function spawn(): Pending {
  const pending: Pending = { worker: new Worker(workerUrl()), replies: [], failed: false, wake: () => undefined }
  pending.worker.onmessage = event => {
    pending.replies.push(event.data as KdfWorkerReply)
    pending.wake()
  }
  pending.worker.onerror = event => {
    event.preventDefault()
    pending.failed = true
    pending.wake()
  }
  return pending
}

/**
 * Starts loading the worker when a password form shows (libsodium's WebAssembly compiles while the
 * person types). For a useEffect: the cleanup terminates the spare if nothing used it.
 */
export function prepareKdfWorker(): () => void {
  if (typeof Worker === 'undefined') return () => undefined
  const prepared = (spare ??= spawn())
  return () => {
    if (spare !== prepared) return
    spare = null
    prepared.worker.terminate()
  }
}

/**
 * Runs Argon2id in a Web Worker and returns the KEK and authSecret (DESIGN §6). The password goes to
 * the worker only; the worker is terminated after one derivation, taking its memory with it.
 */
export async function deriveAccountSecretsInWorker(request: KdfWorkerRequest): Promise<AccountSecrets> {
  // No Worker at all (Node, where the unit tests run this module): the same derivation, in this thread.
  if (typeof Worker === 'undefined') return deriveAccountSecrets({ ...request, kdfParams: request.kdfParams })
  const pending = spare ?? spawn()
  spare = null
  try {
    pending.worker.postMessage(request)
    const reply = await new Promise<KdfWorkerReply | null>(resolve => {
      const look = () => {
        const derived = pending.replies.find(candidate => candidate.type === 'derived')
        if (derived) resolve(derived)
        else if (pending.failed) resolve(null)
      }
      pending.wake = look
      look()
    })
    if (!reply || reply.type !== 'derived') throw new KdfFailure({ reason: 'worker_unavailable', message: MESSAGES.worker_unavailable })
    if (!reply.ok) {
      const reason = reply.reason === 'out_of_memory' ? 'out_of_memory' : 'refused'
      throw new KdfFailure({ reason, message: MESSAGES[reason] })
    }
    return { keyEncryptionKey: reply.keyEncryptionKey, authSecret: reply.authSecret }
  } finally {
    pending.worker.terminate()
  }
}
