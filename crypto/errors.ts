export type CryptoFormatErrorCode =
  | 'bad_base64'
  | 'unknown_version'
  | 'bad_length'
  | 'malformed'
  | 'bad_text'

export type CryptoVerificationErrorCode =
  | 'decryption_failed'
  | 'bad_signature'
  | 'context_mismatch'
  | 'commitment_mismatch'
  | 'unknown_signer'
  | 'bad_checksum'
  | 'roster_invalid'
  | 'roster_rollback'
  | 'roster_fork'
  | 'stream_truncated'

export type CryptoPolicyErrorCode =
  | 'kdf_below_floor'
  | 'kdf_above_ceiling'
  | 'recipient_not_allowed'
  | 'not_a_coordinator'
  | 'stale_epoch'
  | 'invalid_input'

/** Base class so callers can catch every failure of crypto/ at once. */
export class CryptoError extends Error {
  override name = 'CryptoError'
}

/** A blob or code that cannot be parsed: wrong version, length, base64, structure. */
export class CryptoFormatError extends CryptoError {
  override name = 'CryptoFormatError'
  readonly code: CryptoFormatErrorCode
  constructor({ code, message }: { code: CryptoFormatErrorCode; message: string }) {
    super(message)
    this.code = code
  }
}

/** Well-formed input that fails authentication: AEAD tag, signature, binding, chain. */
export class CryptoVerificationError extends CryptoError {
  override name = 'CryptoVerificationError'
  readonly code: CryptoVerificationErrorCode
  constructor({ code, message }: { code: CryptoVerificationErrorCode; message: string }) {
    super(message)
    this.code = code
  }
}

/** A request the library refuses on principle: downgrade, forbidden recipient, stale epoch. */
export class CryptoPolicyError extends CryptoError {
  override name = 'CryptoPolicyError'
  readonly code: CryptoPolicyErrorCode
  constructor({ code, message }: { code: CryptoPolicyErrorCode; message: string }) {
    super(message)
    this.code = code
  }
}
