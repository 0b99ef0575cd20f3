import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ByteWriter, fromBase64Url } from '#crypto/encoding.ts'
import { initCrypto, sodium } from '#crypto/sodium.ts'
import { configuredTotpKeyFile, loadOrCreateTotpKey, totpKeyFromBytes, totpKeyFromFileText, TotpKeyError, type TotpKey } from '#db/totp-key.ts'
import { isSealedTotpSecret, openTotpSecret, sealingKeyId, sealTotpSecret, TotpSecretError, type TotpSecretErrorCode } from '#db/totp-secret.ts'
import { parseConfig, totpKeyProblem } from '#server/config.ts'

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'
const ALICE = '00000000-0000-4000-8000-000000000001'
const BOB = '00000000-0000-4000-8000-000000000002'

let key: TotpKey
let otherKey: TotpKey
const directory = mkdtempSync(path.join(tmpdir(), 'cellule-totp-key-'))

beforeAll(async () => {
  await initCrypto()
  key = await totpKeyFromBytes(new Uint8Array(32).fill(7))
  otherKey = await totpKeyFromBytes(new Uint8Array(32).fill(8))
})
afterAll(() => rmSync(directory, { recursive: true, force: true }))

function codeOf(run: () => unknown): TotpSecretErrorCode | 'none' {
  try {
    run()
    return 'none'
  } catch (error) {
    if (error instanceof TotpSecretError) return error.code
    throw error
  }
}

describe('a TOTP secret at rest', () => {
  it('is sealed to the byte layout of db/totp-secret.ts (golden vector, fixed nonce)', () => {
    const sealed = sealTotpSecret({ secret: SECRET, userId: ALICE, key, nonce: new Uint8Array(24).fill(9) })
    expect(key.id).toBe('RsjokcZktqOxYs3h8JZ5hg')
    expect(sealed).toBe('v1.RsjokcZktqOxYs3h8JZ5hg.CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJ9DCx3SWZPTKxWlh3WyNfu2Cx5M0ZUtmx48VIF-B2CwvqVtZUmPVEwA_iBosXyWrZ')
    // Opened with libsodium directly, from the documented layout: nonce ‖ ciphertext, AD = domain, user id, key id.
    const box = fromBase64Url(sealed.split('.')[2] ?? '')
    const associatedData = new ByteWriter().string('cellule/totp-secret/v1').string(ALICE).string(key.id).finish()
    const plaintext = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, box.subarray(24), associatedData, box.subarray(0, 24), key.key)
    expect(new TextDecoder().decode(plaintext)).toBe(SECRET)
  })

  it('opens for its own row and key, with a fresh nonce each time and no trace of the base32 secret', () => {
    const first = sealTotpSecret({ secret: SECRET, userId: ALICE, key })
    const second = sealTotpSecret({ secret: SECRET, userId: ALICE, key })
    expect(first).not.toBe(second)
    for (const sealed of [first, second]) {
      expect(isSealedTotpSecret(sealed)).toBe(true)
      expect(sealed).not.toContain(SECRET.slice(0, 8))
      expect(sealingKeyId(sealed)).toBe(key.id)
      expect(openTotpSecret({ stored: sealed, userId: ALICE, key })).toBe(SECRET)
    }
  })

  it('does not open on another row, under another key, altered, in clear or malformed: each a typed error, never a secret', () => {
    const sealed = sealTotpSecret({ secret: SECRET, userId: ALICE, key })
    expect(codeOf(() => openTotpSecret({ stored: sealed, userId: BOB, key }))).toBe('altered')
    expect(codeOf(() => openTotpSecret({ stored: sealed, userId: ALICE, key: otherKey }))).toBe('wrong_key')
    const last = sealed.at(-2) === 'A' ? 'B' : 'A'
    expect(codeOf(() => openTotpSecret({ stored: `${sealed.slice(0, -2)}${last}${sealed.at(-1)}`, userId: ALICE, key }))).toBe('altered')
    // A box sealed by another key but relabelled with this key's id still fails: the AD holds the key id.
    const foreign = sealTotpSecret({ secret: SECRET, userId: ALICE, key: otherKey }).replace(otherKey.id, key.id)
    expect(codeOf(() => openTotpSecret({ stored: foreign, userId: ALICE, key }))).toBe('altered')
    expect(codeOf(() => openTotpSecret({ stored: SECRET, userId: ALICE, key }))).toBe('in_clear')
    for (const stored of ['', 'v1.', 'v1.abc.def', `v2.${key.id}.${sealed.split('.')[2]}`, 'pas un secret']) {
      expect(codeOf(() => openTotpSecret({ stored, userId: ALICE, key }))).toBe('malformed')
    }
  })

  it('says in both languages what the operator must do', () => {
    const sealed = sealTotpSecret({ secret: SECRET, userId: ALICE, key })
    let caught: unknown
    try {
      openTotpSecret({ stored: sealed, userId: ALICE, key: otherKey })
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(TotpSecretError)
    expect((caught as Error).message).toMatch(/TOTP_KEY_FILE.* \/ TOTP secret sealed by another key/)
    expect((caught as Error).message).toContain(ALICE)
  })

  it('refuses to seal something that is not a base32 secret', () => {
    expect(() => sealTotpSecret({ secret: 'jbswy3dp', userId: ALICE, key })).toThrow()
  })
})

describe('the TOTP key file', () => {
  it('reads 32 bytes of base64, standard or URL alphabet, and refuses anything else', async () => {
    const bytes = new Uint8Array(32).fill(250)
    const standard = Buffer.from(bytes).toString('base64')
    expect(standard).toMatch(/[+/]/)
    expect((await totpKeyFromFileText(`${standard}\n`)).id).toBe((await totpKeyFromBytes(bytes)).id)
    expect((await totpKeyFromFileText(Buffer.from(bytes).toString('base64url'))).id).toBe((await totpKeyFromBytes(bytes)).id)
    for (const text of ['', Buffer.alloc(16).toString('base64'), Buffer.alloc(64).toString('base64'), 'x'.repeat(44)]) {
      await expect(totpKeyFromFileText(text)).rejects.toBeInstanceOf(TotpKeyError)
    }
  })

  it('is generated once, owner-only, where it may be; never where it must be given', async () => {
    const file = path.join(directory, 'nested', 'totp-key')
    const created = await loadOrCreateTotpKey({ path: file, allowCreate: true })
    expect(created.created).toBe(true)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const again = await loadOrCreateTotpKey({ path: file, allowCreate: true })
    expect(again).toMatchObject({ created: false, key: { id: created.key.id } })
    expect((await totpKeyFromFileText(readFileSync(file, 'utf8'))).id).toBe(created.key.id)

    const missing = path.join(directory, 'absent')
    await expect(loadOrCreateTotpKey({ path: missing, allowCreate: false })).rejects.toMatchObject({ code: 'missing', message: expect.stringMatching(/absente.*TOTP_KEY_FILE/) })
    const bad = path.join(directory, 'bad-key')
    writeFileSync(bad, 'not a key')
    await expect(loadOrCreateTotpKey({ path: bad, allowCreate: true })).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/invalide.*\/ invalid TOTP key/) })
  })

  it('defaults to DATA_DIR/totp-key, generated only then', () => {
    expect(configuredTotpKeyFile({ DATA_DIR: '/srv/data' })).toEqual({ path: '/srv/data/totp-key', allowCreate: true })
    expect(configuredTotpKeyFile({ DATA_DIR: '/srv/data', TOTP_KEY_FILE: '/etc/cellule/totp-key' })).toEqual({ path: '/etc/cellule/totp-key', allowCreate: false })
  })

  it('is required for a production server on PostgreSQL', () => {
    expect(totpKeyProblem(parseConfig({ DATABASE_URL: 'postgres://h/db' }))).toMatch(/^Configuration invalide \/ invalid configuration: TOTP_KEY_FILE: .*required in production/)
    expect(totpKeyProblem(parseConfig({ DATABASE_URL: 'postgres://h/db', TOTP_KEY_FILE: '/etc/cellule/totp-key' }))).toBeNull()
    expect(totpKeyProblem(parseConfig({}))).toBeNull()
    expect(totpKeyProblem(parseConfig({ DATABASE_URL: 'postgres://h/db', NODE_ENV: 'development' }))).toBeNull()
  })
})
