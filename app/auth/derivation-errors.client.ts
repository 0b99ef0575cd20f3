import { KdfDowngradeRefused } from './account-crypto.client.ts'
import { KdfFailure } from './kdf-worker.client.ts'
import { WEAKENED_PARAMETERS_MESSAGE } from './labels.ts'

/** The French message for a derivation that did not happen; anything else is rethrown. */
export function derivationErrorMessage(cause: unknown): string {
  if (cause instanceof KdfDowngradeRefused) return WEAKENED_PARAMETERS_MESSAGE
  if (cause instanceof KdfFailure) return cause.message
  // CryptoPolicyError / CryptoFormatError from the floor check: already in French.
  if (cause instanceof Error && (cause.name === 'CryptoPolicyError' || cause.name === 'CryptoFormatError')) return cause.message
  throw cause
}
