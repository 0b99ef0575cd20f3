import {
  KDF_FLOOR,
  changePassword,
  checkKdfParams,
  createAccount,
  deriveAccountSecrets,
  encodeIdentityPublic,
  fakeSaltSeed,
  generateIdentityKeys,
  initCrypto,
  normalizeEmail,
  openIdentityPublic,
  parseRecoveryCode,
  passwordSalt,
  recoverAccountKey,
  recoveryCodeFromSecret,
  recoveryAuthSecretFromCode,
  deriveRecoveryAuthSecret,
  deriveRecoveryKey,
  unlockAccountKey,
  unwrapIdentitySecrets,
  toBase64Url,
} from '#crypto/index.ts'
import { rotateRecoveryCode } from '#crypto/account.ts'
import { CryptoPolicyError } from '#crypto/errors.ts'
import { sodium } from '#crypto/sodium.ts'
import fc from 'fast-check'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { expectCryptoError, flipByte } from './helpers.ts'

const saltSeed = toBase64Url(new Uint8Array(32).fill(9))
const floorParams = { algorithm: 'argon2id13', opsLimit: KDF_FLOOR.opsLimit, memLimitBytes: KDF_FLOOR.memLimitBytes, saltSeed }

beforeAll(async () => {
  await initCrypto()
})

afterEach(() => {
  vi.restoreAllMocks()
})

describe('account (Argon2id at the compiled floor)', () => {
  it('creates an account, unlocks with the password, recovers with the code, changes the password', () => {
    const account = createAccount({ userId: 'user-1', password: 'correct horse', email: 'Alice@Example.fr ', kdfParams: floorParams })
    expect(account.authSecret).toHaveLength(32)
    const again = deriveAccountSecrets({ password: 'correct horse', email: 'alice@example.fr', kdfParams: floorParams })
    expect(again.authSecret).toEqual(account.authSecret)
    expect(again.keyEncryptionKey).not.toEqual(again.authSecret)
    const accountKey = unlockAccountKey({ userId: 'user-1', keyEncryptionKey: again.keyEncryptionKey, wrappedAccountKey: account.wrappedAccountKeyByPassword })
    expect(accountKey).toEqual(account.accountKey)
    // A wrap is bound to its owner: another user id cannot open it.
    expectCryptoError(() => unlockAccountKey({ userId: 'user-2', keyEncryptionKey: again.keyEncryptionKey, wrappedAccountKey: account.wrappedAccountKeyByPassword }), 'decryption_failed')

    const recovered = recoverAccountKey({ userId: 'user-1', recoveryCode: account.recoveryCode.code.toLowerCase(), wrappedAccountKey: account.wrappedAccountKeyByRecovery })
    expect(recovered).toEqual(account.accountKey)

    const identity = unwrapIdentitySecrets({ userId: 'user-1', wrapped: account.wrappedIdentitySecrets, accountKey: recovered })
    expect(identity.signing.publicKey).toEqual(account.identity.signing.publicKey)
    expect(identity.box.publicKey).toEqual(account.identity.box.publicKey)

    const changed = changePassword({ userId: 'user-1', accountKey: recovered, newPassword: 'new password', email: 'alice@example.fr', kdfParams: floorParams })
    expect(changed.authSecret).not.toEqual(account.authSecret)
    const newSecrets = deriveAccountSecrets({ password: 'new password', email: 'alice@example.fr', kdfParams: floorParams })
    expect(unlockAccountKey({ userId: 'user-1', keyEncryptionKey: newSecrets.keyEncryptionKey, wrappedAccountKey: changed.wrappedAccountKeyByPassword })).toEqual(account.accountKey)
    expectCryptoError(() => unlockAccountKey({ userId: 'user-1', keyEncryptionKey: newSecrets.keyEncryptionKey, wrappedAccountKey: account.wrappedAccountKeyByPassword }), 'decryption_failed')
  })

  it('refuses KDF parameters below the floor before deriving anything (property)', () => {
    const pwhash = vi.spyOn(sodium, 'crypto_pwhash')
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 1, max: 1024 * 1024 * 1024 }),
        (opsLimit, memLimitBytes) => {
          fc.pre(opsLimit < KDF_FLOOR.opsLimit || memLimitBytes < KDF_FLOOR.memLimitBytes)
          expectCryptoError(
            () => deriveAccountSecrets({ password: 'pw', email: 'a@b.fr', kdfParams: { ...floorParams, opsLimit, memLimitBytes } }),
            'kdf_below_floor',
          )
        },
      ),
      { numRuns: 200 },
    )
    expect(pwhash).not.toHaveBeenCalled()
  })

  it('refuses other algorithms, absurd parameters and malformed seeds', () => {
    expectCryptoError(() => checkKdfParams({ ...floorParams, algorithm: 'argon2i13' }), 'malformed')
    expect(() => checkKdfParams({ ...floorParams, memLimitBytes: 8 * 1024 * 1024 * 1024 })).toThrow(CryptoPolicyError)
    expectCryptoError(() => checkKdfParams({ ...floorParams, saltSeed: 'AAAA' }), 'invalid_input')
    expectCryptoError(() => checkKdfParams({ ...floorParams, saltSeed: '***' }), 'bad_base64')
    expect(checkKdfParams(floorParams).opsLimit).toBe(3)
  })

  it('derives the salt from the seed and the normalized e-mail; fake seeds are stable', () => {
    const seed = new Uint8Array(32).fill(1)
    expect(normalizeEmail('  Élodie@Exemple.FR ')).toBe('élodie@exemple.fr')
    expect(passwordSalt({ saltSeed: seed, email: 'A@b.fr' })).toEqual(passwordSalt({ saltSeed: seed, email: ' a@B.FR' }))
    expect(passwordSalt({ saltSeed: seed, email: 'a@b.fr' })).not.toEqual(passwordSalt({ saltSeed: new Uint8Array(32), email: 'a@b.fr' }))
    const serverSecret = new Uint8Array(32).fill(5)
    expect(fakeSaltSeed({ serverSecret, email: 'X@y.fr' })).toBe(fakeSaltSeed({ serverSecret, email: 'x@y.fr' }))
    expect(checkKdfParams({ ...floorParams, saltSeed: fakeSaltSeed({ serverSecret, email: 'x@y.fr' }) }).saltSeed).toHaveLength(32)
  })
})

describe('recovery code', () => {
  it('round-trips 128 bits through 7 groups of 4 (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (secret) => {
        const { code } = recoveryCodeFromSecret(secret)
        expect(code).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){6}[0-9A-HJKMNP-TV-Z]{4}$/)
        expect(parseRecoveryCode(code)).toEqual(secret)
        expect(parseRecoveryCode(code.replace(/-/g, ' ').toLowerCase())).toEqual(secret)
      }),
      { numRuns: 200 },
    )
  })

  it('catches every single-character substitution and every adjacent transposition', () => {
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (secret) => {
        const digits = recoveryCodeFromSecret(secret).code.replace(/-/g, '')
        for (let position = 0; position < digits.length; position++) {
          for (const replacement of alphabet) {
            if (replacement === digits[position]) continue
            const typo = digits.slice(0, position) + replacement + digits.slice(position + 1)
            expectCryptoError(() => parseRecoveryCode(typo))
          }
          const next = digits[position + 1]
          if (next !== undefined && next !== digits[position]) {
            const swapped = digits.slice(0, position) + next + digits[position] + digits.slice(position + 2)
            expectCryptoError(() => parseRecoveryCode(swapped))
          }
        }
      }),
      { numRuns: 20 },
    )
  })

  it('proves the code to the server with a value unrelated to the key it wraps', () => {
    const { code, secret } = recoveryCodeFromSecret(new Uint8Array(16).fill(3))
    const proof = recoveryAuthSecretFromCode(code)
    expect(proof).toEqual(deriveRecoveryAuthSecret(secret))
    expect(proof).not.toEqual(deriveRecoveryKey(secret))
    expect(recoveryAuthSecretFromCode(recoveryCodeFromSecret(new Uint8Array(16).fill(4)).code)).not.toEqual(proof)
  })

  it('gives typed errors for wrong lengths and characters', () => {
    expectCryptoError(() => parseRecoveryCode('ABCD-EFGH'), 'bad_length')
    expectCryptoError(() => parseRecoveryCode('UUUU-UUUU-UUUU-UUUU-UUUU-UUUU-UUUU'), 'malformed')
  })
})

describe('identity keys', () => {
  it('self-signs the public halves; any altered byte is refused', () => {
    const account = generateIdentityKeys()
    const bundle = encodeIdentityPublic({ userId: 'user-9', identity: account })
    expect(openIdentityPublic(bundle).signPublicKey).toEqual(account.signing.publicKey)
    for (let index = 0; index < bundle.length; index++) {
      expectCryptoError(() => openIdentityPublic(flipByte({ bytes: bundle, index, mask: 0x20 })))
    }
  })
})

describe('recovery code rotated on use (review §6)', () => {
  it('the same account key under a new code: the new code opens it, the spent one does not, and the proof changes', () => {
    const account = createAccount({ userId: 'user-r', password: 'correct horse', email: 'r@exemple.fr', kdfParams: floorParams })
    const accountKey = recoverAccountKey({ userId: 'user-r', recoveryCode: account.recoveryCode.code, wrappedAccountKey: account.wrappedAccountKeyByRecovery })
    const rotated = rotateRecoveryCode({ userId: 'user-r', accountKey })
    expect(rotated.recoveryCode.code).not.toBe(account.recoveryCode.code)
    expect(recoverAccountKey({ userId: 'user-r', recoveryCode: rotated.recoveryCode.code, wrappedAccountKey: rotated.wrappedAccountKeyByRecovery })).toEqual(account.accountKey)
    expectCryptoError(() => recoverAccountKey({ userId: 'user-r', recoveryCode: account.recoveryCode.code, wrappedAccountKey: rotated.wrappedAccountKeyByRecovery }), 'decryption_failed')
    expect(rotated.recoveryAuthSecret).toEqual(recoveryAuthSecretFromCode(rotated.recoveryCode.code))
    expect(rotated.recoveryAuthSecret).not.toEqual(recoveryAuthSecretFromCode(account.recoveryCode.code))
  })

  it('wipes the recovery KEK and the parsed code once the account key is opened', () => {
    const account = createAccount({ userId: 'user-w', password: 'correct horse', email: 'w@exemple.fr', kdfParams: floorParams })
    const wiped: Uint8Array[] = []
    const realMemzero = sodium.memzero.bind(sodium)
    // Observes what is wiped (a copy taken just before), then wipes it for real.
    const memzero = vi.spyOn(sodium, 'memzero').mockImplementation(bytes => {
      wiped.push(new Uint8Array(bytes))
      realMemzero(bytes)
    })
    const expectedKek = deriveRecoveryKey(account.recoveryCode.secret)
    recoverAccountKey({ userId: 'user-w', recoveryCode: account.recoveryCode.code, wrappedAccountKey: account.wrappedAccountKeyByRecovery })
    memzero.mockRestore()
    expect(wiped).toContainEqual(expectedKek)
    expect(wiped).toContainEqual(account.recoveryCode.secret)
  })
})
