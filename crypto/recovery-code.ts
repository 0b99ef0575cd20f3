import { utf8 } from './encoding.ts'
import { formatHumanCode, generateHumanCode, parseHumanCode } from './human-code.ts'
import { KEY_BYTES } from './formats.ts'
import { wipe } from './primitives.ts'
import { sodium } from './sodium.ts'

export type RecoveryCode = { code: string; secret: Uint8Array }

/** 128 random bits shown once at registration; 7 groups of 4 with a typo-catching checksum. */
export function generateRecoveryCode(): RecoveryCode {
  return generateHumanCode()
}

export function recoveryCodeFromSecret(secret: Uint8Array): RecoveryCode {
  return { secret, code: formatHumanCode(secret) }
}

export function parseRecoveryCode(code: string): Uint8Array {
  return parseHumanCode(code)
}

/**
 * RKEK: the code is already full-entropy, so a keyed BLAKE2b suffices (no Argon2id needed).
 * The caller owns the returned key and must wipe it after use; prefer `withRecoveryKey`.
 */
export function deriveRecoveryKey(secret: Uint8Array): Uint8Array {
  return sodium.crypto_generichash(KEY_BYTES, utf8('cellule/recovery-kek/v1'), secret)
}

/** Derives the RKEK, hands it to `run`, and wipes it whatever happens (`run` must not keep it). */
export function withRecoveryKey<Result>({ secret, run }: { secret: Uint8Array; run: (recoveryKey: Uint8Array) => Result }): Result {
  const recoveryKey = deriveRecoveryKey(secret)
  try {
    return run(recoveryKey)
  } finally {
    wipe(recoveryKey)
  }
}
