import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { canonicalJson } from '#charter/canonical-json.ts'
import { checkCommitment, computeCommitment, encodeLeaf, leafHash, leafSchema, type Leaf } from '#journal/leaf.ts'

const cellLeaf: Leaf = {
  v: 1,
  eventId: '0190f0a2-7b3c-7d4e-8f00-000000000001',
  occurredAtMs: 1_767_225_600_000,
  cellId: '11111111-2222-4333-8444-555555555555',
  cellSeq: 2,
  prevCellLeafHash: 'ab'.repeat(32),
  action: 'cell.members.read',
  outcome: 'success',
  commitment: 'cd'.repeat(32),
}

describe('leaf format v1', () => {
  it('is the domain line followed by canonical JSON, hashed with the 0x00 prefix', () => {
    const bytes = encodeLeaf(cellLeaf)
    const text = bytes.toString('utf8')
    expect(text.startsWith('cellule-audit/v1\n{"action":"cell.members.read","cellId":')).toBe(true)
    expect(text.split('\n')).toHaveLength(2)
    expect(text).not.toMatch(/[ \t]/)
    expect(leafHash(cellLeaf)).toEqual(createHash('sha256').update(Buffer.from([0])).update(bytes).digest())
  })

  it('ties the per-cell fields together', () => {
    const problems = (leaf: Record<string, unknown>) => leafSchema.safeParse(leaf).success
    expect(problems({ ...cellLeaf, cellSeq: 1, prevCellLeafHash: null })).toBe(true)
    expect(problems({ ...cellLeaf, cellSeq: 1 })).toBe(false)
    expect(problems({ ...cellLeaf, prevCellLeafHash: null })).toBe(false)
    expect(problems({ ...cellLeaf, cellId: null, cellSeq: null, prevCellLeafHash: null })).toBe(true)
    expect(problems({ ...cellLeaf, cellId: null })).toBe(false)
    expect(problems({ ...cellLeaf, cellSeq: null, prevCellLeafHash: null })).toBe(false)
    expect(problems({ ...cellLeaf, cellSeq: 0 })).toBe(false)
  })

  it('refuses other spellings, unknown actions and extra fields', () => {
    for (const change of [
      { eventId: cellLeaf.eventId.toUpperCase() },
      { commitment: 'CD'.repeat(32) },
      { commitment: 'cd'.repeat(31) },
      { occurredAtMs: 1.5 },
      { occurredAtMs: -1 },
      { action: 'cell.members.dump' },
      { outcome: 'ok' },
      { v: 2 },
      { actor: 'someone' },
    ]) {
      expect(leafSchema.safeParse({ ...cellLeaf, ...change }).success, JSON.stringify(change)).toBe(false)
    }
    expect(() => encodeLeaf({ ...cellLeaf, v: 2 } as unknown as Leaf)).toThrow()
  })
})

describe('detail commitment', () => {
  const salt = Buffer.alloc(16, 7)
  const detail = { actor: { userId: 'u1', role: 'dpo' }, request: { ip: '192.0.2.1' } }

  it('is SHA-256(0x02 ‖ salt ‖ canonical JSON) and checks', () => {
    const expected = createHash('sha256').update(Buffer.from([2])).update(salt).update(canonicalJson(detail)).digest('hex')
    const commitment = computeCommitment({ salt, detail })
    expect(commitment).toBe(expected)
    expect(checkCommitment({ salt, detail: { request: { ip: '192.0.2.1' }, actor: { role: 'dpo', userId: 'u1' } }, commitment })).toBe(true)
  })

  it('fails on another salt, detail, malformed input, and refuses short or long salts', () => {
    const commitment = computeCommitment({ salt, detail })
    expect(checkCommitment({ salt: Buffer.alloc(16, 8), detail, commitment })).toBe(false)
    expect(checkCommitment({ salt, detail: { ...detail, justification: 'x' }, commitment })).toBe(false)
    expect(checkCommitment({ salt, detail: { value: 0.5 }, commitment })).toBe(false)
    expect(checkCommitment({ salt: Buffer.alloc(15), detail, commitment })).toBe(false)
    expect(checkCommitment({ salt, detail, commitment: commitment.toUpperCase() })).toBe(false)
    expect(() => computeCommitment({ salt: Buffer.alloc(33), detail })).toThrow(RangeError)
    expect(() => computeCommitment({ salt: Buffer.alloc(32), detail })).not.toThrow()
  })
})
