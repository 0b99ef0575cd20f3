import { utf8 } from './encoding.ts'
import { KEY_BYTES } from './formats.ts'
import { parseRecoveryCode } from './recovery-code.ts'
import { sodium } from './sodium.ts'

/**
 * What the browser shows the server to prove it holds the recovery code, without revealing the code
 * or the key it wraps: a keyed BLAKE2b under a context distinct from the recovery KEK's. The server
 * keeps only an Argon2id hash of it.
 */
export function deriveRecoveryAuthSecret(secret: Uint8Array): Uint8Array {
  return sodium.crypto_generichash(KEY_BYTES, utf8('cellule/recovery-auth/v1'), secret)
}

/** The parsed code is wiped once the proof is derived. */
export function recoveryAuthSecretFromCode(code: string): Uint8Array {
  const secret = parseRecoveryCode(code)
  try {
    return deriveRecoveryAuthSecret(secret)
  } finally {
    sodium.memzero(secret)
  }
}
