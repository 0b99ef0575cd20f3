import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { toBase64Url } from '#crypto/encoding.ts'
import { KEY_BYTES } from '#crypto/formats.ts'
import { keyId, randomKey } from '#crypto/primitives.ts'
import { initCrypto } from '#crypto/sodium.ts'

/**
 * The key sealing every TOTP secret (db/totp-secret.ts), kept outside the database and its backups
 * (decision 014). `id` is base64url of `keyId(key)`: it names the key in each sealed secret, so a
 * wrong key file is told apart from an altered row.
 */
export type TotpKey = { readonly key: Uint8Array; readonly id: string }

export type TotpKeyErrorCode = 'missing' | 'unreadable' | 'invalid' | 'unwritable'

/** The key file is absent, cannot be read or holds something else than 32 bytes: an operator's problem, said in both languages. */
export class TotpKeyError extends Error {
  override name = 'TotpKeyError'
  readonly code: TotpKeyErrorCode
  constructor({ code, message }: { code: TotpKeyErrorCode; message: string }) {
    super(message)
    this.code = code
  }
}

const KEY_FILE_TEXT = /^[A-Za-z0-9+/_-]{43}=?$/

export async function totpKeyFromBytes(bytes: Uint8Array): Promise<TotpKey> {
  if (bytes.length !== KEY_BYTES) throw new TotpKeyError({ code: 'invalid', message: `la clé TOTP fait ${KEY_BYTES} octets / the TOTP key is ${KEY_BYTES} bytes` })
  await initCrypto()
  const key = new Uint8Array(bytes)
  return { key, id: toBase64Url(keyId(key)) }
}

/** The file holds the 32 bytes in base64 (standard or URL alphabet), as `openssl rand -base64 32` writes them. */
export async function totpKeyFromFileText(text: string): Promise<TotpKey> {
  const trimmed = text.trim()
  if (!KEY_FILE_TEXT.test(trimmed)) {
    throw new TotpKeyError({ code: 'invalid', message: 'contenu attendu : 32 octets en base64 (openssl rand -base64 32) / expected 32 bytes in base64 (openssl rand -base64 32)' })
  }
  return totpKeyFromBytes(new Uint8Array(Buffer.from(trimmed, 'base64')))
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT'
}

async function readKeyFile(file: string): Promise<TotpKey | undefined> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if (isMissing(error)) return undefined
    throw new TotpKeyError({ code: 'unreadable', message: `Clé TOTP illisible (${file}) / unreadable TOTP key (TOTP_KEY_FILE): ${error instanceof Error ? error.message : String(error)}` })
  }
  try {
    return await totpKeyFromFileText(text)
  } catch (error) {
    if (!(error instanceof TotpKeyError)) throw error
    throw new TotpKeyError({ code: 'invalid', message: `Clé TOTP invalide (${file}) / invalid TOTP key (TOTP_KEY_FILE): ${error.message}` })
  }
}

/**
 * Reads the key at `path`; when absent and `allowCreate` (development, embedded database), writes a
 * new one readable by its owner only. 'wx' never overwrites a key another process wrote meanwhile:
 * losing the key loses every enrolled second factor.
 */
export async function loadOrCreateTotpKey({ path: file, allowCreate }: { path: string; allowCreate: boolean }): Promise<{ key: TotpKey; created: boolean }> {
  const existing = await readKeyFile(file)
  if (existing) return { key: existing, created: false }
  if (!allowCreate) throw new TotpKeyError({ code: 'missing', message: `Clé TOTP absente : ${file} / TOTP key missing (TOTP_KEY_FILE)` })
  await initCrypto()
  const bytes = randomKey()
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  try {
    writeFileSync(file, `${Buffer.from(bytes).toString('base64')}\n`, { flag: 'wx', mode: 0o600 })
  } catch (error) {
    const raced = error instanceof Error && 'code' in error && error.code === 'EEXIST' ? await readKeyFile(file) : undefined
    if (raced) return { key: raced, created: false }
    throw new TotpKeyError({ code: 'unwritable', message: `Clé TOTP impossible à écrire (${file}) / cannot write the TOTP key: ${(error as Error).message}` })
  }
  return { key: await totpKeyFromBytes(bytes), created: true }
}

/** `TOTP_KEY_FILE`, or `DATA_DIR/totp-key`, which alone may be generated (development, embedded database). */
export function configuredTotpKeyFile({ TOTP_KEY_FILE, DATA_DIR }: { TOTP_KEY_FILE?: string; DATA_DIR: string }): { path: string; allowCreate: boolean } {
  return TOTP_KEY_FILE ? { path: path.resolve(TOTP_KEY_FILE), allowCreate: false } : { path: path.resolve(DATA_DIR, 'totp-key'), allowCreate: true }
}
