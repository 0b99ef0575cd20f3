import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { checkVectors, deterministicCases, type VectorFile } from './vector-cases.ts'

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/crypto-vectors.json', import.meta.url), 'utf8')) as VectorFile

describe('golden vectors (Node)', () => {
  it('reproduces every committed vector byte for byte and opens it', async () => {
    const results = await checkVectors(fixture)
    expect(results.filter((result) => !result.ok)).toEqual([])
    expect(results.map((result) => result.name).sort()).toEqual([...deterministicCases.map((vectorCase) => vectorCase.name), 'attachment_stream'].sort())
    expect(fixture.format).toBe('cellule-crypto-vectors/v2')
  })

  it('notices a single changed byte in any committed output', async () => {
    const altered = structuredClone(fixture)
    const record = altered.vectors.note_envelope
    expect(record).toBeDefined()
    const envelope = record!.outputs.envelope!
    record!.outputs.envelope = `${envelope.slice(0, 10)}${envelope[10] === 'A' ? 'B' : 'A'}${envelope.slice(11)}`
    const results = await checkVectors(altered)
    expect(results.find((result) => result.name === 'note_envelope')?.ok).toBe(false)
    expect(results.filter((result) => !result.ok)).toHaveLength(1)
  })
})
