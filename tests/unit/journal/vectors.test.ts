import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { publicKeyFromBase64, signingKeyFromSeed, verifyCheckpoint, verifyExport } from '#journal/index.ts'
import { naiveConsistency, naivePath, naiveRoot } from './naive.ts'
import { generateAuditVectors, serializeVectors, VECTOR_FORMAT, type AuditVectors } from './vector-cases.ts'

const text = readFileSync(new URL('../../fixtures/audit-log-vectors.json', import.meta.url), 'utf8')
const fixture = JSON.parse(text) as AuditVectors

describe('golden vectors', () => {
  it('are reproduced byte for byte by the library, section by section', () => {
    const generated = generateAuditVectors()
    expect(fixture.format).toBe(VECTOR_FORMAT)
    for (const section of Object.keys(fixture) as (keyof AuditVectors)[]) {
      expect(JSON.stringify(generated[section]), section).toBe(JSON.stringify(fixture[section]))
    }
    expect(serializeVectors(generated)).toBe(text)
  })

  it('hold independently of the library: hashes, roots and proofs from the RFC formulas', () => {
    for (const { bytes, leafHash } of fixture.leaves) {
      expect(createHash('sha256').update(Buffer.from([0])).update(bytes, 'utf8').digest('hex')).toBe(leafHash)
      expect(bytes.startsWith(fixture.leafDomain)).toBe(true)
    }
    for (const { salt, canonical, commitment } of fixture.commitments) {
      expect(createHash('sha256').update(Buffer.from([2])).update(Buffer.from(salt, 'hex')).update(canonical, 'utf8').digest('hex')).toBe(commitment)
    }
    const leaves = fixture.tree.leafHashes.map((hash) => Buffer.from(hash, 'hex'))
    for (const { size, root } of fixture.tree.roots) expect(naiveRoot(leaves.slice(0, size)).toString('hex')).toBe(root)
    for (const { index, size, path } of fixture.tree.inclusion) expect(naivePath(index, leaves.slice(0, size)).map((hash) => hash.toString('hex'))).toEqual(path)
    for (const { from, to, proof } of fixture.tree.consistency) expect(naiveConsistency(from, leaves.slice(0, to)).map((hash) => hash.toString('hex'))).toEqual(proof)
  })

  it('carry a key, checkpoints and exports that verify', () => {
    expect(signingKeyFromSeed(Buffer.from(fixture.key.seed, 'hex')).publicKeyRaw.toString('base64')).toBe(fixture.key.publicKey)
    const publicKey = publicKeyFromBase64(fixture.key.publicKey)
    for (const note of fixture.checkpoints) expect(verifyCheckpoint({ note, publicKey }).ok).toBe(true)
    expect(verifyExport({ file: fixture.exports.full, trustedPublicKey: publicKey })).toMatchObject({ ok: true, entries: 40 })
    expect(verifyExport({ file: fixture.exports.cell, trustedPublicKey: publicKey })).toMatchObject({ ok: true, scope: 'cell' })
  })
})
