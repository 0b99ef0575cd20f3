import { initCrypto, openSituationKey, sealRosterKey, situationKeyFrom, wrapSituationKey } from '#crypto/index.ts'
import { ByteReader, ByteWriter } from '#crypto/encoding.ts'
import { decoyWrappedKey, MAX_WRAP_CONTEXT_ITEMS, unwrapKey, wrapKey, wrappedKeyLength, wrappedKeySchema } from '#crypto/key-wrap.ts'
import { randomKey } from '#crypto/primitives.ts'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { author, expectCryptoError, makeMember, recipientOf } from './helpers.ts'

beforeAll(async () => {
  await initCrypto()
})

describe('integer hygiene (review §3, poc2)', () => {
  it('refuses what a field cannot hold instead of wrapping, masking or throwing a RangeError', () => {
    expectCryptoError(() => new ByteWriter().u32(2 ** 32 + 5), 'invalid_input')
    expectCryptoError(() => new ByteWriter().u32(2 ** 32), 'invalid_input')
    expectCryptoError(() => new ByteWriter().u32(-1), 'invalid_input')
    expectCryptoError(() => new ByteWriter().u8(256), 'invalid_input')
    expectCryptoError(() => new ByteWriter().u8(-1), 'invalid_input')
    expectCryptoError(() => new ByteWriter().u16(0x10000), 'invalid_input')
    expectCryptoError(() => new ByteWriter().u64(1.5), 'invalid_input')
    expectCryptoError(() => new ByteWriter().u64(Number.MAX_SAFE_INTEGER + 1), 'invalid_input')
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, 0.5, -0.5]) {
      expectCryptoError(() => new ByteWriter().u32(value), 'invalid_input')
    }
    expectCryptoError(() => new ByteWriter().string('x'.repeat(0x10000)), 'invalid_input')
  })

  it('encodes every in-range integer exactly and reads it back (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (a, b, c, d) => {
        const bytes = new ByteWriter().u8(a).u16(b).u32(c).u64(d).finish()
        const reader = new ByteReader(bytes)
        expect([reader.u8(), (reader.u8() << 8) | reader.u8(), reader.u32(), reader.u64()]).toEqual([a, b, c, d])
        reader.end()
      }),
      { numRuns: 200 },
    )
  })

  it('poc2: a key can no longer be sealed for epoch 2^32 and open as epoch 0', () => {
    const founder = makeMember({ memberId: 'founder', role: 'coordinator' })
    const alice = makeMember({ memberId: 'alice', role: 'member' })
    // Sealed keys carry the epoch as a u32: 2^32 used to be written as 0.
    expectCryptoError(() => sealRosterKey({ kind: 'cell_epoch', cellId: 'c', epoch: 2 ** 32, key: randomKey(), recipient: recipientOf(alice), signer: author(founder), anchor: { rosterSeq: 0, rosterHeadHash: new Uint8Array(32) } }), 'invalid_input')
    expectCryptoError(() => sealRosterKey({ kind: 'cell_epoch', cellId: 'c', epoch: -1, key: randomKey(), recipient: recipientOf(alice), signer: author(founder), anchor: { rosterSeq: 0, rosterHeadHash: new Uint8Array(32) } }), 'invalid_input')
    // Wrap contexts carry numbers as u64: 2^32 is encoded exactly and never opens as epoch 0.
    const cellKey = randomKey()
    const situationKey = situationKeyFrom({ layer: 'pseudonymised', key: randomKey(), keyEpoch: 0 })
    const wrapped = wrapSituationKey({ cellId: 'c', situationId: 's', situationKey, cellKey, cellEpoch: 2 ** 32 })
    expectCryptoError(() => openSituationKey({ cellId: 'c', situationId: 's', keyEpoch: 0, cellKey, cellEpoch: 0, wrapped }), 'decryption_failed')
    expect(openSituationKey({ cellId: 'c', situationId: 's', keyEpoch: 0, cellKey, cellEpoch: 2 ** 32, wrapped }).key).toEqual(situationKey.key)
  })
})

describe('key-wrap hygiene', () => {
  it('limits a wrap context to 255 items instead of wrapping the count modulo 256', () => {
    const key = randomKey()
    const wrappingKey = randomKey()
    const longest = Array.from({ length: MAX_WRAP_CONTEXT_ITEMS }, (_, index) => index)
    const wrapped = wrapKey({ key, wrappingKey, purpose: 'note_key', context: longest })
    expect(unwrapKey({ wrapped, wrappingKey, purpose: 'note_key', context: longest })).toEqual(key)
    expectCryptoError(() => wrapKey({ key, wrappingKey, purpose: 'note_key', context: [...longest, 255] }), 'invalid_input')
    expectCryptoError(() => unwrapKey({ wrapped, wrappingKey, purpose: 'note_key', context: [...longest, 255] }), 'invalid_input')
  })

  it('draws a fresh nonce for every wrap of the same key (no override left to reuse one)', () => {
    const key = randomKey()
    const wrappingKey = randomKey()
    const nonces = new Set(Array.from({ length: 50 }, () => wrappedKeySchema.parse(wrapKey({ key, wrappingKey, purpose: 'note_key', context: ['a'] })).nonce.join(',')))
    expect(nonces.size).toBe(50)
  })

  it('decoy wraps are well formed, stable per seed, and open under no key', () => {
    const seed = new Uint8Array(32).fill(3)
    for (const purpose of ['uak_recovery', 'identity_secrets'] as const) {
      const decoy = decoyWrappedKey({ purpose, seed })
      expect(decoy.length).toBe(wrappedKeyLength(purpose))
      expect(wrappedKeySchema.parse(decoy).purpose).toBe(purpose)
      expect(decoyWrappedKey({ purpose, seed })).toEqual(decoy)
      expect(decoyWrappedKey({ purpose, seed: new Uint8Array(32).fill(4) })).not.toEqual(decoy)
      expectCryptoError(() => unwrapKey({ wrapped: decoy, wrappingKey: randomKey(), purpose, context: ['user'] }), 'decryption_failed')
    }
  })
})
