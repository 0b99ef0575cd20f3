import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto'
import { HASH_SIZE, sha256 } from './hash.ts'
import { isSize } from './merkle.ts'
import { rawPublicKey } from './keys.ts'

/**
 * C2SP tlog-checkpoint inside a C2SP signed note. The origin line doubles as the key name
 * (as most C2SP logs do), so one string identifies the log in the body and the signature.
 */
const ORIGIN = /^cellule-audit\.[a-z0-9][a-z0-9.:-]*\/v1$/
const SIGNATURE_LINE = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/
/** C2SP signed-note algorithm byte for Ed25519. */
const ED25519_ALGORITHM = 0x01
const MAX_SIGNATURES = 100

export function logOrigin(host: string): string {
  const origin = `cellule-audit.${host}/v1`
  if (!ORIGIN.test(origin)) throw new TypeError(`nom d'hôte invalide pour l'origine du journal / invalid host for the log origin: ${host}`)
  return origin
}

export function isOrigin(value: string): boolean {
  return ORIGIN.test(value)
}

export type Checkpoint = { readonly origin: string; readonly size: number; readonly root: Buffer }
export type NoteSignature = { readonly name: string; readonly keyId: Buffer; readonly signature: Buffer }
export type ParsedCheckpoint = Checkpoint & { readonly body: string; readonly signatures: readonly NoteSignature[] }
export type CheckpointResult = { ok: true; checkpoint: ParsedCheckpoint } | { ok: false; problem: string }

/** First 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ raw public key) (C2SP signed-note). */
export function noteKeyId({ origin, publicKey }: { origin: string; publicKey: KeyObject }): Buffer {
  return sha256(Buffer.from(`${origin}\n`, 'utf8'), Uint8Array.of(ED25519_ALGORITHM), rawPublicKey(publicKey)).subarray(0, 4)
}

export function checkpointBody({ origin, size, root }: Checkpoint): string {
  if (!isOrigin(origin)) throw new TypeError(`origine invalide / invalid origin: ${origin}`)
  if (!isSize(size)) throw new RangeError(`taille d'arbre invalide / invalid tree size: ${size}`)
  if (root.length !== HASH_SIZE) throw new RangeError('la racine fait 32 octets / the root is 32 bytes')
  return `${origin}\n${size}\n${root.toString('base64')}\n`
}

export function signCheckpoint({ origin, size, root, privateKey }: Checkpoint & { privateKey: KeyObject }): string {
  const body = checkpointBody({ origin, size, root })
  const keyId = noteKeyId({ origin, publicKey: createPublicKey(privateKey) })
  const signature = sign(null, Buffer.from(body, 'utf8'), privateKey)
  return `${body}\n\u2014 ${origin} ${Buffer.concat([keyId, signature]).toString('base64')}\n`
}

function fail(problem: string): { ok: false; problem: string } {
  return { ok: false, problem }
}

function strictBase64(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64')
  return bytes.toString('base64') === text ? bytes : null
}

/** Structure only; signatures are checked by verifyCheckpoint. Extension lines are refused: this log never writes any. */
export function parseCheckpoint(text: string): CheckpointResult {
  const split = text.lastIndexOf('\n\n')
  if (split < 0 || !text.endsWith('\n')) return fail('note signée mal formée (corps et signatures séparés par une ligne vide) / malformed signed note')
  const body = text.slice(0, split + 1)
  const lines = body.slice(0, -1).split('\n')
  if (lines.length !== 3) return fail(`le corps du checkpoint doit avoir 3 lignes, il en a ${lines.length} / checkpoint body must have 3 lines`)
  const [origin = '', sizeText = '', rootText = ''] = lines
  if (!isOrigin(origin)) return fail(`origine invalide / invalid origin: ${JSON.stringify(origin)}`)
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !isSize(Number(sizeText))) return fail(`taille d'arbre invalide / invalid tree size: ${JSON.stringify(sizeText)}`)
  const root = strictBase64(rootText)
  if (!root || root.length !== HASH_SIZE) return fail('racine invalide (32 octets en base64 attendus) / invalid root (32 bytes in base64 expected)')
  const signatureLines = text.slice(split + 2, -1).split('\n')
  if (signatureLines.length > MAX_SIGNATURES) return fail('trop de lignes de signature / too many signature lines')
  const signatures: NoteSignature[] = []
  for (const line of signatureLines) {
    const match = SIGNATURE_LINE.exec(line)
    const blob = match?.[2] ? strictBase64(match[2]) : null
    if (!match?.[1] || !blob || blob.length < 5) return fail(`ligne de signature mal formée / malformed signature line: ${JSON.stringify(line.slice(0, 80))}`)
    signatures.push({ name: match[1], keyId: blob.subarray(0, 4), signature: blob.subarray(4) })
  }
  return { ok: true, checkpoint: { origin, size: Number(sizeText), root, body, signatures } }
}

/**
 * Valid when a signature line by `origin` with this key's id verifies. Lines of other
 * keys are ignored (C2SP: witnesses, a rotated key), but a line claiming this key that
 * does not verify is a forgery and fails the note.
 */
export function verifyCheckpoint({ note, publicKey }: { note: string; publicKey: KeyObject }): CheckpointResult {
  const parsed = parseCheckpoint(note)
  if (!parsed.ok) return parsed
  const { checkpoint } = parsed
  const keyId = noteKeyId({ origin: checkpoint.origin, publicKey })
  const ours = checkpoint.signatures.filter((line) => line.name === checkpoint.origin && line.keyId.equals(keyId))
  if (ours.length === 0) return fail('aucune signature de la clé du journal / no signature by the log key')
  for (const line of ours) {
    if (line.signature.length !== 64 || !verify(null, Buffer.from(checkpoint.body, 'utf8'), publicKey, line.signature)) {
      return fail('signature du checkpoint invalide / invalid checkpoint signature')
    }
  }
  return parsed
}
