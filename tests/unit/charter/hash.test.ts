import { createHash } from 'node:crypto'
import {
  DEFAULT_CHARTER,
  bytesToHex,
  canonicalCharterBytes,
  charterDigest,
  charterHash,
  charterSigningMessage,
  hexToBytes,
  type Charter,
} from '#charter/index.ts'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

/** Rebuilds every object of a JSON value with its keys in an order drawn from `ranks`. */
function shuffleKeys(value: unknown, ranks: number[]): unknown {
  let draw = 0
  const next = () => ranks[draw++ % ranks.length] ?? 0
  const visit = (item: unknown): unknown => {
    if (Array.isArray(item)) return item.map(visit)
    if (item === null || typeof item !== 'object') return item
    const keys = Object.keys(item)
      .map(key => ({ key, rank: next() }))
      .sort((left, right) => left.rank - right.rank)
      .map(({ key }) => key)
    return Object.fromEntries(keys.map(key => [key, visit((item as Record<string, unknown>)[key])]))
  }
  return visit(value)
}

function keysAreSorted(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(keysAreSorted)
  if (value === null || typeof value !== 'object') return true
  const keys = Object.keys(value)
  return keys.join('\u0000') === [...keys].sort().join('\u0000') && Object.values(value).every(keysAreSorted)
}

describe('canonical bytes', () => {
  it('are UTF-8 JSON of the charter, keys sorted at every level, without whitespace', () => {
    const text = new TextDecoder().decode(canonicalCharterBytes(DEFAULT_CHARTER))
    const parsed: unknown = JSON.parse(text)
    expect(parsed).toEqual(DEFAULT_CHARTER)
    expect(keysAreSorted(parsed)).toBe(true)
    expect(text).toBe(JSON.stringify(parsed))
    expect(text.startsWith('{"format":1,"preamble":')).toBe(true)
    expect(canonicalCharterBytes(DEFAULT_CHARTER)).toEqual(new TextEncoder().encode(text))
  })

  it('refuse an invalid charter rather than hash it', () => {
    const loose = { ...DEFAULT_CHARTER, rules: { ...DEFAULT_CHARTER.rules, mfaRequired: false } } as unknown as Charter
    expect(() => canonicalCharterBytes(loose)).toThrow(/double authentification/)
  })

  it('ignore how the text was typed (NFC) but not what it says', () => {
    const composed = { ...DEFAULT_CHARTER, title: 'Charte de la cellule de Sevran : règles' }
    const decomposed = { ...DEFAULT_CHARTER, title: 'Charte de la cellule de Sevran : re\u0300gles' }
    expect(canonicalCharterBytes(decomposed)).toEqual(canonicalCharterBytes(composed))
  })
})

describe('charterHash', () => {
  // Every cell founded on the default charter carries this hash in its signed roster: it must never change.
  it('of the default charter is pinned', async () => {
    await expect(charterHash(DEFAULT_CHARTER)).resolves.toBe('0400241f8d6fb727f976583b02065414d5af3eda1e2ec3004e4a9f13a6527318')
  })

  it('is the lowercase hex SHA-256 of the canonical bytes', async () => {
    const expected = createHash('sha256').update(canonicalCharterBytes(DEFAULT_CHARTER)).digest('hex')
    await expect(charterHash(DEFAULT_CHARTER)).resolves.toBe(expected)
    expect(expected).toMatch(/^[0-9a-f]{64}$/)
    const digest = await charterDigest(DEFAULT_CHARTER)
    expect(digest).toHaveLength(32)
    expect(bytesToHex(digest)).toBe(expected)
  })

  it('is deterministic across key order permutations', async () => {
    const reference = await charterHash(DEFAULT_CHARTER)
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer(), { minLength: 1, maxLength: 50 }), async ranks => {
        const shuffled = shuffleKeys(DEFAULT_CHARTER, ranks) as Charter
        expect(await charterHash(shuffled)).toBe(reference)
      }),
      { numRuns: 100 }
    )
  })

  it('changes when one character of any section changes', async () => {
    const reference = await charterHash(DEFAULT_CHARTER)
    const sections = DEFAULT_CHARTER.sections
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: sections.length - 1 }),
        fc.nat(),
        fc.constantFrom('a', 'é', 'Z', '.', '1', ' '),
        fc.constantFrom('body', 'title') as fc.Arbitrary<'body' | 'title'>,
        async (sectionIndex, position, replacement, field) => {
          const section = sections[sectionIndex]
          if (!section) throw new Error('no section')
          const text = section[field]
          const at = position % text.length
          const changed = text.slice(0, at) + (text[at] === replacement ? 'x' : replacement) + text.slice(at + 1)
          const edited = {
            ...DEFAULT_CHARTER,
            sections: sections.map((item, index) => (index === sectionIndex ? { ...item, [field]: changed } : item)),
          }
          expect(await charterHash(edited)).not.toBe(reference)
        }
      ),
      { numRuns: 100 }
    )
  })

  it('changes with the version, a rule or the order of sections', async () => {
    const reference = await charterHash(DEFAULT_CHARTER)
    const variants: Charter[] = [
      { ...DEFAULT_CHARTER, version: 2 },
      { ...DEFAULT_CHARTER, rules: { ...DEFAULT_CHARTER.rules, idleTimeoutMinutes: 14 } },
      { ...DEFAULT_CHARTER, sections: [...DEFAULT_CHARTER.sections].reverse() },
      { ...DEFAULT_CHARTER, preamble: `${DEFAULT_CHARTER.preamble} ` },
    ]
    const hashes = await Promise.all(variants.map(variant => charterHash(variant)))
    expect(new Set([reference, ...hashes]).size).toBe(variants.length + 1)
  })
})

describe('charterSigningMessage', () => {
  const hash = 'ab'.repeat(32)

  it('is the UTF-8 of the context, cell, version and hash on four lines', () => {
    const message = charterSigningMessage({ cellId: 'cellule-sevran', version: 3, hash })
    expect(new TextDecoder().decode(message)).toBe(`cellule/charter-signature/v1\ncellule-sevran\n3\n${hash}`)
  })

  it.each([
    ['a cell id with a newline', { cellId: 'a\nb', version: 1, hash }],
    ['an empty cell id', { cellId: '', version: 1, hash }],
    ['version 0', { cellId: 'c', version: 0, hash }],
    ['a fractional version', { cellId: 'c', version: 1.5, hash }],
    ['an uppercase hash', { cellId: 'c', version: 1, hash: hash.toUpperCase() }],
    ['a short hash', { cellId: 'c', version: 1, hash: 'ab' }],
  ])('refuses %s', (_name, input) => {
    expect(() => charterSigningMessage(input)).toThrow(TypeError)
  })
})

describe('hex', () => {
  it('round-trips bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array(), bytes => {
        expect(hexToBytes(bytesToHex(bytes))).toEqual(bytes)
      })
    )
  })

  it('refuses odd lengths and non-hex characters', () => {
    expect(() => hexToBytes('abc')).toThrow(TypeError)
    expect(() => hexToBytes('zz')).toThrow(TypeError)
  })
})
