import { createHash, sign } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  checkpointBody,
  loadOrCreateSigningKey,
  logOrigin,
  noteKeyId,
  parseCheckpoint,
  publicKeyFromBase64,
  publicKeyFromRaw,
  rawPublicKey,
  signCheckpoint,
  verifyCheckpoint,
} from '#journal/index.ts'
import { OTHER_KEY, SAMPLE_KEY, SAMPLE_ORIGIN } from './sample-log.ts'

const root = createHash('sha256').update('root').digest()
const note = signCheckpoint({ origin: SAMPLE_ORIGIN, size: 42, root, privateKey: SAMPLE_KEY.privateKey })

describe('checkpoints (C2SP signed note)', () => {
  it('has the C2SP layout: three body lines, a blank line, one em-dash signature line', () => {
    const lines = note.split('\n')
    expect(lines.slice(0, 4)).toEqual(['cellule-audit.cellule.example.fr/v1', '42', root.toString('base64'), ''])
    expect(lines[4]).toMatch(/^\u2014 cellule-audit\.cellule\.example\.fr\/v1 [A-Za-z0-9+/]{91}=$/)
    expect(lines[5]).toBe('')
    const blob = Buffer.from(lines[4]!.split(' ')[2]!, 'base64')
    expect(blob).toHaveLength(68)
    const expectedId = createHash('sha256').update(`${SAMPLE_ORIGIN}\n`).update(Buffer.from([1])).update(SAMPLE_KEY.publicKeyRaw).digest().subarray(0, 4)
    expect(blob.subarray(0, 4)).toEqual(expectedId)
    expect(noteKeyId({ origin: SAMPLE_ORIGIN, publicKey: SAMPLE_KEY.publicKey })).toEqual(expectedId)
  })

  it('parses and verifies with the log key only', () => {
    const verified = verifyCheckpoint({ note, publicKey: SAMPLE_KEY.publicKey })
    expect(verified.ok && { origin: verified.checkpoint.origin, size: verified.checkpoint.size, root: verified.checkpoint.root }).toEqual({ origin: SAMPLE_ORIGIN, size: 42, root })
    expect(verifyCheckpoint({ note, publicKey: OTHER_KEY.publicKey })).toEqual({ ok: false, problem: expect.stringMatching(/^aucune signature de la clé du journal/) })
  })

  it('ignores signatures of other keys (witnesses, rotation) but fails a forged line of the log key', () => {
    const body = checkpointBody({ origin: SAMPLE_ORIGIN, size: 42, root })
    const witnessSignature = sign(null, Buffer.from(body), OTHER_KEY.privateKey)
    const witnessLine = `\u2014 witness.example ${Buffer.concat([noteKeyId({ origin: 'witness.example', publicKey: OTHER_KEY.publicKey }), witnessSignature]).toString('base64')}\n`
    const cosigned = `${note}${witnessLine}`
    expect(verifyCheckpoint({ note: cosigned, publicKey: SAMPLE_KEY.publicKey }).ok).toBe(true)
    const forged = `${note}\u2014 ${SAMPLE_ORIGIN} ${Buffer.concat([noteKeyId({ origin: SAMPLE_ORIGIN, publicKey: SAMPLE_KEY.publicKey }), witnessSignature]).toString('base64')}\n`
    expect(verifyCheckpoint({ note: forged, publicKey: SAMPLE_KEY.publicKey })).toEqual({ ok: false, problem: expect.stringMatching(/^signature du checkpoint invalide/) })
  })

  it('refuses malformed notes', () => {
    const cases: [string, RegExp][] = [
      [note.replace('\n\n', '\n'), /mal formée/],
      [note.replace('\n42\n', '\n042\n'), /taille d'arbre invalide/],
      [note.replace('\n42\n', '\n-1\n'), /taille d'arbre invalide/],
      [note.replace(`\n42\n`, `\n42\nextension\n`), /3 lignes/],
      [note.replace(root.toString('base64'), root.subarray(1).toString('base64')), /racine invalide/],
      [note.replaceAll('cellule-audit.cellule.example.fr/v1', 'other/v1'), /origine invalide/],
      [note.slice(0, -1), /mal formée/],
      [note.replace('\u2014', '-'), /ligne de signature mal formée/],
    ]
    for (const [text, problem] of cases) expect(parseCheckpoint(text)).toEqual({ ok: false, problem: expect.stringMatching(problem) })
    expect(() => logOrigin('Bad Host')).toThrow(TypeError)
    expect(() => signCheckpoint({ origin: SAMPLE_ORIGIN, size: 1.5, root, privateKey: SAMPLE_KEY.privateKey })).toThrow(RangeError)
  })
})

describe('signing keys', () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'cellule-audit-key-'))
  afterAll(() => rmSync(directory, { recursive: true, force: true }))

  it('round-trips raw and base64 public keys, and refuses non-canonical spellings', () => {
    expect(rawPublicKey(publicKeyFromRaw(SAMPLE_KEY.publicKeyRaw))).toEqual(SAMPLE_KEY.publicKeyRaw)
    const base64 = SAMPLE_KEY.publicKeyRaw.toString('base64')
    expect(rawPublicKey(publicKeyFromBase64(base64))).toEqual(SAMPLE_KEY.publicKeyRaw)
    expect(() => publicKeyFromBase64(base64.replace('=', ''))).toThrow(/non canonique/)
    expect(() => publicKeyFromRaw(Buffer.alloc(31))).toThrow(RangeError)
  })

  it('creates a key only when allowed, owner-readable, then loads the same key', () => {
    const file = path.join(directory, 'nested', 'audit.pem')
    expect(() => loadOrCreateSigningKey({ path: file, allowCreate: false })).toThrow(/absente.*AUDIT_SIGNING_KEY_FILE/)
    const created = loadOrCreateSigningKey({ path: file, allowCreate: true })
    expect(created.created).toBe(true)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/)
    const loaded = loadOrCreateSigningKey({ path: file, allowCreate: true })
    expect(loaded.created).toBe(false)
    expect(loaded.key.publicKeyRaw).toEqual(created.key.publicKeyRaw)
  })

  it('refuses an unreadable or non-Ed25519 key file instead of replacing it', () => {
    const garbage = path.join(directory, 'garbage.pem')
    writeFileSync(garbage, 'not a key')
    expect(() => loadOrCreateSigningKey({ path: garbage, allowCreate: true })).toThrow(/illisible/)
    expect(readFileSync(garbage, 'utf8')).toBe('not a key')
  })
})
