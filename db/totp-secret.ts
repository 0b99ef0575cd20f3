import { z } from 'zod'
import { ByteWriter, concatBytes, fromBase64Url, fromUtf8, toBase64Url, utf8 } from '#crypto/encoding.ts'
import { CryptoFormatError, CryptoVerificationError } from '#crypto/errors.ts'
import { AEAD_TAG_BYTES, NONCE_BYTES } from '#crypto/formats.ts'
import { aeadDecrypt, aeadEncrypt, randomNonce } from '#crypto/primitives.ts'
import { type TotpKey } from './totp-key.ts'

/**
 * `users.totp_secret` at rest (decision 014):
 *
 *   v1.<key id>.<box>
 *   key id  base64url(keyId(TOTP key)), 22 characters: which key sealed it
 *   box     base64url(nonce(24) ‖ XChaCha20-Poly1305(base32 secret as UTF-8) with its 16-byte tag)
 *   AD      str "cellule/totp-secret/v1" ‖ str user id ‖ str key id
 *
 * The user id in the AD keeps a box from opening on another row. A base32 secret never contains a
 * dot, so anything without the `v1.` prefix is a secret still in clear (before the boot migration).
 */
const PREFIX = 'v1.'
const DOMAIN = 'cellule/totp-secret/v1'

const base32SecretSchema = z.string().regex(/^[A-Z2-7]{16,128}$/, 'secret TOTP base32 attendu / base32 TOTP secret expected')

const sealedSchema = z
  .string()
  .regex(/^v1\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{60,400}$/)
  .transform((text, ctx) => {
    const [, keyId = '', box = ''] = text.split('.')
    let bytes: Uint8Array
    try {
      bytes = fromBase64Url(box)
    } catch (error) {
      if (!(error instanceof CryptoFormatError)) throw error
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: error.message })
      return z.NEVER
    }
    return { keyId, nonce: bytes.subarray(0, NONCE_BYTES), ciphertext: bytes.subarray(NONCE_BYTES) }
  })
  .refine(sealed => sealed.ciphertext.length > AEAD_TAG_BYTES)

export type TotpSecretErrorCode = 'wrong_key' | 'altered' | 'in_clear' | 'malformed'

const MESSAGES = {
  wrong_key:
    'Secret TOTP chiffré par une autre clé : TOTP_KEY_FILE n’est pas la clé en service (restaurez-la ; si elle est perdue, voir docs/operations.md) / TOTP secret sealed by another key: TOTP_KEY_FILE is not the key in use',
  altered: 'Secret TOTP altéré ou copié depuis un autre compte : réinitialisez ce compte (npm run admin:reset) / TOTP secret altered or moved from another account',
  in_clear: 'Secret TOTP en clair dans la base : redémarrez le serveur pour le chiffrer / TOTP secret stored in clear: restart the server to seal it',
  malformed: 'Secret TOTP illisible dans la base / unreadable TOTP secret in the database',
} as const satisfies Record<TotpSecretErrorCode, string>

/** A stored secret that cannot be used: never answered as a wrong code, it is the operator's to fix. */
export class TotpSecretError extends Error {
  override name = 'TotpSecretError'
  readonly code: TotpSecretErrorCode
  readonly userId: string
  constructor({ code, userId }: { code: TotpSecretErrorCode; userId: string }) {
    super(`${MESSAGES[code]} (${userId})`)
    this.code = code
    this.userId = userId
  }
}

function associatedData({ userId, keyId }: { userId: string; keyId: string }): Uint8Array {
  return new ByteWriter().string(DOMAIN).string(userId).string(keyId).finish()
}

export function isBase32TotpSecret(value: string): boolean {
  return base32SecretSchema.safeParse(value).success
}

export function isSealedTotpSecret(stored: string): boolean {
  return stored.startsWith(PREFIX)
}

/** The key id a sealed value names, or undefined for a secret in clear or a malformed value. */
export function sealingKeyId(stored: string): string | undefined {
  const parsed = sealedSchema.safeParse(stored)
  return parsed.success ? parsed.data.keyId : undefined
}

/** `nonce` is injected for golden vectors only. A TotpKey exists only once libsodium is ready. */
export function sealTotpSecret({ secret, userId, key, nonce = randomNonce() }: { secret: string; userId: string; key: TotpKey; nonce?: Uint8Array }): string {
  const plaintext = utf8(base32SecretSchema.parse(secret))
  const ciphertext = aeadEncrypt({ plaintext, associatedData: associatedData({ userId, keyId: key.id }), nonce, key: key.key })
  return `${PREFIX}${key.id}.${toBase64Url(concatBytes([nonce, ciphertext]))}`
}

/** The base32 secret of `userId`'s row; a clear, foreign-key, moved or altered value throws TotpSecretError. */
export function openTotpSecret({ stored, userId, key }: { stored: string; userId: string; key: TotpKey }): string {
  if (!isSealedTotpSecret(stored)) throw new TotpSecretError({ code: isBase32TotpSecret(stored) ? 'in_clear' : 'malformed', userId })
  const parsed = sealedSchema.safeParse(stored)
  if (!parsed.success) throw new TotpSecretError({ code: 'malformed', userId })
  if (parsed.data.keyId !== key.id) throw new TotpSecretError({ code: 'wrong_key', userId })
  let secret: string
  try {
    secret = fromUtf8(aeadDecrypt({ ciphertext: parsed.data.ciphertext, nonce: parsed.data.nonce, associatedData: associatedData({ userId, keyId: key.id }), key: key.key, what: 'Secret TOTP' }))
  } catch (error) {
    if (error instanceof CryptoVerificationError) throw new TotpSecretError({ code: 'altered', userId })
    if (error instanceof CryptoFormatError) throw new TotpSecretError({ code: 'malformed', userId })
    throw error
  }
  if (!isBase32TotpSecret(secret)) throw new TotpSecretError({ code: 'malformed', userId })
  return secret
}
