import { describe, expect, it } from 'vitest'
import { canonicalJson } from '#journal/canonical.ts'

describe('canonical JSON', () => {
  it('sorts keys by UTF-16 code units, writes no whitespace, and -0 as 0', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], é: -0, A: { z: 0, y: 'é😀' } })).toBe('{"A":{"y":"é😀","z":0},"a":[true,null,"x"],"b":1,"é":0}')
  })

  it('refuses lone surrogates, in values and in keys, but keeps valid pairs', () => {
    expect(() => canonicalJson('a\uD800')).toThrow(/lone surrogate/)
    expect(() => canonicalJson('\uDC00b')).toThrow(/lone surrogate/)
    expect(() => canonicalJson({ nested: ['ok', 'x\uDBFF'] })).toThrow(/lone surrogate/)
    expect(() => canonicalJson({ ['k\uD800']: 1 })).toThrow(/lone surrogate/)
    expect(canonicalJson('\uD83D\uDE00')).toBe('"😀"')
  })

  it('refuses what JSON cannot carry exactly', () => {
    for (const value of [1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1, undefined, 1n, new Date(0), { a: undefined }]) {
      expect(() => canonicalJson(value), String(value)).toThrow(TypeError)
    }
  })
})
