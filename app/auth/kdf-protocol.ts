import { z } from 'zod'

/** What the page posts to the KDF worker, and what the worker answers (app/auth/kdf.worker.ts). */
export const kdfWorkerRequestSchema = z.object({
  email: z.string(),
  password: z.string(),
  kdfParams: z.unknown(),
})
export type KdfWorkerRequest = z.infer<typeof kdfWorkerRequestSchema>

export type KdfWorkerTimings = { readyMs: number; derivedMs: number }

export type KdfWorkerReply =
  | { type: 'ready' }
  | { type: 'derived'; ok: true; keyEncryptionKey: Uint8Array; authSecret: Uint8Array; timings: KdfWorkerTimings }
  | { type: 'derived'; ok: false; reason: 'refused' | 'out_of_memory' | 'bad_request'; message: string }
