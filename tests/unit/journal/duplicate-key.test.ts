import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { findDuplicateKey } from '#journal/duplicate-key.ts'

describe('findDuplicateKey', () => {
  it('finds a duplicate at any depth and says where the object holding it sits', () => {
    expect(findDuplicateKey('{"a":1,"a":2}')).toEqual({ key: 'a', path: [] })
    expect(findDuplicateKey('{"leaves":[{"index":0,"leaf":{}},{"index":1,"leaf":{"v":1,"occurredAtMs":0,"occurredAtMs":5}}]}')).toEqual({ key: 'occurredAtMs', path: ['leaves', 1, 'leaf'] })
    expect(findDuplicateKey('[[], [1, {"x": [{"k": null, "k": null}]}]]')).toEqual({ key: 'k', path: [1, 1, 'x', 0] })
    expect(findDuplicateKey('{"": 1, "": 2}')).toEqual({ key: '', path: [] })
    expect(findDuplicateKey('{"__proto__": {}, "__proto__": []}')).toEqual({ key: '__proto__', path: [] })
  })

  it('compares keys after unescaping, as JSON.parse does', () => {
    expect(findDuplicateKey('{"a":1,"\\u0061":2}')).toEqual({ key: 'a', path: [] })
    expect(findDuplicateKey('{"é":1,"\\u00e9":2}')).toEqual({ key: 'é', path: [] })
    expect(findDuplicateKey('{"a\\"b":1,"a\\u0022b":2}')).toEqual({ key: 'a"b', path: [] })
    expect(findDuplicateKey('{"a\\\\":1,"a\\u005c":2}')).toEqual({ key: 'a\\', path: [] })
  })

  it('reports the first duplicate in document order', () => {
    expect(findDuplicateKey('{"a":{"b":1,"b":2},"a":3}')).toEqual({ key: 'b', path: ['a'] })
    expect(findDuplicateKey('{"a":{"b":1},"a":{"b":1,"b":2}}')).toEqual({ key: 'a', path: [] })
  })

  it('accepts equal keys in different objects, and keys look-alikes inside strings', () => {
    expect(findDuplicateKey('{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}')).toBeUndefined()
    expect(findDuplicateKey('{"a":"\\"a\\":1,","b":"{\\"b\\":2,\\"b\\":3}","c":"\\\\"}')).toBeUndefined()
    expect(findDuplicateKey('{"a":"x","b":"a"}')).toBeUndefined()
    expect(findDuplicateKey('{"a":1,"A":2,"a ":3}')).toBeUndefined()
    for (const text of ['null', '"a"', '[]', '{}', ' { } ', '-1.5e3', '[{"a":[]},{"a":{}}]']) expect(findDuplicateKey(text)).toBeUndefined()
  })

  it('finds nothing in what JSON.stringify writes, and always the key added a second time', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), fc.jsonValue(), (value, key, extra) => {
        const text = JSON.stringify(value, null, value === null ? 0 : 1)
        expect(findDuplicateKey(text)).toBeUndefined()
        const wrapped = `{"inner":${JSON.stringify({ [key]: extra })},"list":[${text}]}`
        const forged = wrapped.replace('{"inner":{', () => `{"inner":{${JSON.stringify(key)}:${JSON.stringify(value)},`)
        expect(findDuplicateKey(forged)).toEqual({ key, path: ['inner'] })
      }),
      { numRuns: 300 },
    )
  })
})
