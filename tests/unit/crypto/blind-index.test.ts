import { blindIndex, createCellIndexKey, initCrypto, normalizeSubjectName } from '#crypto/index.ts'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { expectCryptoError } from './helpers.ts'

beforeAll(async () => {
  await initCrypto()
})

describe('blind index', () => {
  it('matches the same person written differently, under the same cell key only', () => {
    const indexKey = createCellIndexKey()
    const a = blindIndex({ indexKey, name: 'DUPONT Hélène', birthDate: '1938-04-02' })
    expect(blindIndex({ indexKey, name: '  hélène   dupont ', birthDate: '1938-04-02' })).toBe(a)
    expect(blindIndex({ indexKey, name: 'Helene Dupont', birthDate: '1938-04-02' })).toBe(a)
    expect(blindIndex({ indexKey, name: 'Hélène Dupont', birthDate: '1938-04-03' })).not.toBe(a)
    expect(blindIndex({ indexKey, name: 'Hélène Durand', birthDate: '1938-04-02' })).not.toBe(a)
    expect(blindIndex({ indexKey: createCellIndexKey(), name: 'Hélène Dupont', birthDate: '1938-04-02' })).not.toBe(a)
    expect(normalizeSubjectName("Jean-Pierre L'Hôpital")).toBe('hopital jean l pierre')
  })

  it('is insensitive to case and word order (property)', () => {
    const indexKey = createCellIndexKey()
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-zé]{1,10}$/), { minLength: 1, maxLength: 4 }), (words) => {
        const forward = blindIndex({ indexKey, name: words.join(' '), birthDate: '2000-01-01' })
        const reversed = blindIndex({ indexKey, name: [...words].reverse().join('  ').toUpperCase(), birthDate: '2000-01-01' })
        expect(reversed).toBe(forward)
      }),
      { numRuns: 100 },
    )
  })

  it('refuses invalid birth dates', () => {
    const indexKey = createCellIndexKey()
    expectCryptoError(() => blindIndex({ indexKey, name: 'A B', birthDate: '1938-02-30' }), 'malformed')
    expectCryptoError(() => blindIndex({ indexKey, name: 'A B', birthDate: '02/04/1938' }), 'malformed')
    expectCryptoError(() => blindIndex({ indexKey, name: ' - ', birthDate: '1938-04-02' }), 'invalid_input')
  })
})
