import {
  fromBase64Url,
  initCrypto,
  openFeedback,
  openIdentityPublic,
  openReferral,
  parseIntakePublic,
  parseRosterLink,
  toBase64Url,
  createIntakeKeys,
} from '#crypto/index.ts'
import { unwrapKey, wrapKey } from '#crypto/key-wrap.ts'
import { generateBoxKeyPair, randomKey } from '#crypto/primitives.ts'
import fc from 'fast-check'
import { openKeySealedToMember, peekSealedKey } from '#crypto/sealed-key.ts'
import { beforeAll, describe, expect, it } from 'vitest'
import { expectCryptoError, flipByte } from './helpers.ts'

beforeAll(async () => {
  await initCrypto()
})

describe('formats and encodings', () => {
  it('base64url is strict: no padding, no standard alphabet, no non-canonical tails', () => {
    expect(fromBase64Url(toBase64Url(Uint8Array.of(1, 2, 3, 4)))).toEqual(Uint8Array.of(1, 2, 3, 4))
    expectCryptoError(() => fromBase64Url('AQIDBA=='), 'bad_base64')
    expectCryptoError(() => fromBase64Url('a+b/'), 'bad_base64')
    expectCryptoError(() => fromBase64Url('AQIDBB'), 'bad_base64')
    expectCryptoError(() => fromBase64Url('A'), 'bad_base64')
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes)
      }),
    )
  })

  it('key wraps bind purpose and context; every altered byte fails closed', () => {
    const wrappingKey = randomKey()
    const key = randomKey()
    const wrapped = wrapKey({ key, wrappingKey, purpose: 'situation_key', context: ['cell', 'sit', 1, 0] })
    expect(unwrapKey({ wrapped, wrappingKey, purpose: 'situation_key', context: ['cell', 'sit', 1, 0] })).toEqual(key)
    expectCryptoError(() => unwrapKey({ wrapped, wrappingKey, purpose: 'situation_key', context: ['cell', 'sit', 2, 0] }), 'decryption_failed')
    expectCryptoError(() => unwrapKey({ wrapped, wrappingKey, purpose: 'situation_key', context: ['cell', 'sit2', 1, 0] }), 'decryption_failed')
    expectCryptoError(() => unwrapKey({ wrapped, wrappingKey, purpose: 'note_key', context: ['cell', 'sit', 1, 0] }), 'malformed')
    expectCryptoError(() => unwrapKey({ wrapped: toBase64Url(wrapped).slice(0, -2), wrappingKey, purpose: 'situation_key', context: ['cell', 'sit', 1, 0] }))
    for (let index = 0; index < wrapped.length; index++) {
      expectCryptoError(() => unwrapKey({ wrapped: flipByte({ bytes: wrapped, index, mask: 0x80 }), wrappingKey, purpose: 'situation_key', context: ['cell', 'sit', 1, 0] }))
    }
  })

  it('every parser answers arbitrary bytes and strings with a typed error, never a crash (property)', () => {
    const intake = createIntakeKeys({ cellId: 'c', index: 0 })
    const box = generateBoxKeyPair()
    const parsers: ((input: Uint8Array | string) => unknown)[] = [
      (input) => openIdentityPublic(input),
      (input) => parseIntakePublic(input),
      (input) => parseRosterLink(input),
      (input) => unwrapKey({ wrapped: input, wrappingKey: randomKey(), purpose: 'note_key', context: [] }),
      (input) => openReferral({ sealedReferral: input, intake, expected: { cellId: 'c', referralId: 'r' } }),
      (input) => openFeedback({ sealedFeedback: input, replyCode: '0000-0000-0000-0000-0000-0000-0000', expected: { cellId: 'c', referralId: 'r' }, intakeSignPublicKey: intake.signing.publicKey }),
      (input) => openKeySealedToMember({ wrap: input, context: { kind: 'cell_epoch', keyEpoch: 0, cellId: 'c', situationId: '' }, recipient: { memberId: 'm', box }, signerId: 'f', signerPublicKey: intake.signing.publicKey }),
      (input) => peekSealedKey(input),
    ]
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 80 })), fc.nat({ max: parsers.length - 1 }), (input, which) => {
        // Version 1 and 2 prefixes, so that parsers of either version read past their first byte.
        const prefixed = input instanceof Uint8Array && input.length > 0 ? Uint8Array.from([(input[0]! % 2) + 1, ...input.subarray(1)]) : input
        expectCryptoError(() => parsers[which]!(prefixed))
      }),
      { numRuns: 700 },
    )
  })
})
