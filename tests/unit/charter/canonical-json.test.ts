import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { canonicalJson, isWellFormed, type JsonValue } from '#charter/canonical-json.ts'

/** JSON values the canonical form accepts: safe integers only, no lone surrogate (fc.string() is well formed). */
const canonicalValue: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.string(),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string(), tie('value'), { maxKeys: 5 }),
  ),
})).value

/** Rebuilds every object with its keys in reverse insertion order. */
function reverseKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(reverseKeys)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).reverse().map(([key, item]) => [key, reverseKeys(item)]))
}

describe('canonical JSON (charter hashes, journal leaves and commitments)', () => {
  it('sorts keys by UTF-16 code units, writes no whitespace, escapes like JSON.stringify, and -0 as 0', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], é: -0, A: { z: 0, y: 'é😀' } })).toBe('{"A":{"y":"é😀","z":0},"a":[true,null,"x"],"b":1,"é":0}')
    expect(canonicalJson({ b: [1, { d: null, c: true }], a: 'é\n"' })).toBe('{"a":"é\\n\\"","b":[1,{"c":true,"d":null}]}')
  })

  it('refuses lone surrogates, in values and in keys, but keeps valid pairs', () => {
    expect(() => canonicalJson('a\uD800')).toThrow(/lone surrogate/)
    expect(() => canonicalJson('\uDC00b')).toThrow(/lone surrogate/)
    expect(() => canonicalJson({ nested: ['ok', 'x\uDBFF'] })).toThrow(/lone surrogate/)
    expect(() => canonicalJson({ ['k\uD800']: 1 })).toThrow(/lone surrogate/)
    expect(canonicalJson('\uD83D\uDE00')).toBe('"😀"')
  })

  it.each([
    ['a float', 1.5],
    ['a negative float', { y: -1.5 }],
    ['NaN', { a: Number.NaN }],
    ['Infinity', [Number.POSITIVE_INFINITY]],
    ['an unsafe integer', Number.MAX_SAFE_INTEGER + 1],
    ['2^53', 2 ** 53],
    ['undefined', undefined],
    ['an undefined value', { a: undefined }],
    ['a bigint', 1n],
    ['a function', () => 1],
    ['a date', { a: new Date(0) }],
    ['a map', new Map()],
  ])('refuses %s: what has no single spelling', (_name, value) => {
    expect(() => canonicalJson(value)).toThrow(TypeError)
  })

  it('is the same text whatever the key order, and parses back to the value', () => {
    fc.assert(
      fc.property(canonicalValue, (value) => {
        expect(canonicalJson(reverseKeys(value))).toBe(canonicalJson(value))
        expect(JSON.parse(canonicalJson(value))).toEqual(value)
      }),
    )
  })
})

describe('isWellFormed without String.prototype.isWellFormed (older browsers)', () => {
  const native = Object.getOwnPropertyDescriptor(String.prototype, 'isWellFormed')
  afterEach(() => {
    if (native) Object.defineProperty(String.prototype, 'isWellFormed', native)
  })

  it('agrees with the native check', () => {
    const samples = ['', 'abc', 'é😀', '\uD83D\uDE00x', 'a\uD800', '\uDC00b', 'x\uDBFF', '\uD800\uD800\uDC00', '\uDBFF\uDFFF']
    const expected = samples.map((text) => isWellFormed(text))
    expect(expected).toEqual([true, true, true, true, false, false, false, false, true])
    Object.defineProperty(String.prototype, 'isWellFormed', { value: undefined, configurable: true, writable: true })
    expect(samples.map((text) => isWellFormed(text))).toEqual(expected)
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => isWellFormed(text) === !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)))
  })
})
