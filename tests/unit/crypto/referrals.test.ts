import {
  assertIntakeFingerprint,
  createIntakeKeys,
  createReplyCode,
  deriveReplyCredentials,
  encodeIntakePublic,
  hashFetchToken,
  initCrypto,
  intakeFingerprint,
  intakePublicOf,
  openFeedback,
  openReferral,
  parseIntakePublic,
  sealFeedback,
  sealReferral,
  utf8,
} from '#crypto/index.ts'
import { sodium } from '#crypto/sodium.ts'
import fc from 'fast-check'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { expectCryptoError, flipByte } from './helpers.ts'

beforeAll(async () => {
  await initCrypto()
})

const cellId = 'cell-1'

describe('referrals and feedback', () => {
  it('round-trips a referral sealed to the intake key, ids inside (property)', () => {
    const intake = createIntakeKeys({ cellId, index: 0 })
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.stringMatching(/^[a-z0-9-]{1,24}$/), (content, referralId) => {
        const { code } = createReplyCode()
        const credentials = deriveReplyCredentials(code)
        const sealed = sealReferral({ referral: { referralId, cellId, createdAtMs: 1_700_000_000_000, content }, intake: intakePublicOf(intake), replyPublicKey: credentials.replyKeyPair.publicKey })
        const opened = openReferral({ sealedReferral: sealed, intake, expected: { cellId, referralId } })
        expect(opened.content).toEqual(content)
        expect(opened.replyPublicKey).toEqual(credentials.replyKeyPair.publicKey)
        expectCryptoError(() => openReferral({ sealedReferral: sealed, intake, expected: { cellId, referralId: `${referralId}x` } }), 'context_mismatch')
      }),
      { numRuns: 40 },
    )
  })

  it('derives a stable reply key pair and fetch token from the code; the server keeps only the hash', () => {
    const { code, secret } = createReplyCode()
    const a = deriveReplyCredentials(code)
    const b = deriveReplyCredentials(secret)
    expect(a.replyKeyPair.publicKey).toEqual(b.replyKeyPair.publicKey)
    expect(a.fetchToken).toEqual(b.fetchToken)
    expect(hashFetchToken(a.fetchToken)).toEqual(a.fetchTokenHash)
    expect(a.fetchTokenHash).not.toEqual(a.fetchToken)
    expect(deriveReplyCredentials(createReplyCode().code).fetchToken).not.toEqual(a.fetchToken)
    expectCryptoError(() => deriveReplyCredentials(new Uint8Array(3)), 'bad_length')
  })

  it('feedback: sealed to the reply key, signed by the intake key, verified on open', () => {
    const intake = createIntakeKeys({ cellId, index: 2 })
    const { code } = createReplyCode()
    const { replyKeyPair } = deriveReplyCredentials(code)
    const feedback = { referralId: 'ref-1', cellId, createdAtMs: 1_700_000_000_000, body: utf8('Situation examinée le 12 mars ; orientation vers le CCAS.') }
    const sealed = sealFeedback({ feedback, replyPublicKey: replyKeyPair.publicKey, intake })
    const opened = openFeedback({ sealedFeedback: sealed, replyCode: code, expected: { referralId: 'ref-1', cellId }, intakeSignPublicKey: intake.signing.publicKey })
    expect(opened.body).toEqual(feedback.body)
    expectCryptoError(() => openFeedback({ sealedFeedback: sealed, replyCode: createReplyCode().code, expected: { referralId: 'ref-1', cellId }, intakeSignPublicKey: intake.signing.publicKey }), 'decryption_failed')
    expectCryptoError(() => openFeedback({ sealedFeedback: sealed, replyCode: code, expected: { referralId: 'ref-2', cellId }, intakeSignPublicKey: intake.signing.publicKey }), 'context_mismatch')
    for (let index = 0; index < sealed.length; index += 3) {
      expectCryptoError(() => openFeedback({ sealedFeedback: flipByte({ bytes: sealed, index, mask: 4 }), replyCode: code, expected: { referralId: 'ref-1', cellId }, intakeSignPublicKey: intake.signing.publicKey }))
    }
  })

  it('rejects feedback not signed by the intake signing key, whoever signed it (property)', () => {
    const intake = createIntakeKeys({ cellId, index: 0 })
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (body) => {
        const { code } = createReplyCode()
        const { replyKeyPair } = deriveReplyCredentials(code)
        const impostor = { ...createIntakeKeys({ cellId, index: 0 }), box: intake.box }
        const sealed = sealFeedback({ feedback: { referralId: 'r', cellId, createdAtMs: 0, body }, replyPublicKey: replyKeyPair.publicKey, intake: impostor })
        expectCryptoError(() => openFeedback({ sealedFeedback: sealed, replyCode: code, expected: { referralId: 'r', cellId }, intakeSignPublicKey: intake.signing.publicKey }), 'bad_signature')
      }),
      { numRuns: 40 },
    )
  })

  it('intake public key: canonical bundle and fingerprint check for the flyer QR', () => {
    const intake = intakePublicOf(createIntakeKeys({ cellId, index: 1 }))
    const bundle = encodeIntakePublic(intake)
    expect(parseIntakePublic(bundle)).toEqual(intake)
    const fingerprint = intakeFingerprint(intake)
    expect(() => assertIntakeFingerprint({ intake, fingerprint })).not.toThrow()
    const served = intakePublicOf(createIntakeKeys({ cellId, index: 1 }))
    expectCryptoError(() => assertIntakeFingerprint({ intake: served, fingerprint }), 'context_mismatch')
  })
})

describe('reply code wiping (review §9)', () => {
  it('wipes the secret it parsed from a typed code, never the bytes a caller passed', () => {
    const { secret, code } = createReplyCode()
    const fromBytes = deriveReplyCredentials(secret)
    expect(secret.some((byte) => byte !== 0)).toBe(true)
    const memzero = vi.spyOn(sodium, 'memzero')
    let wiped: Uint8Array[]
    let fromCode
    try {
      fromCode = deriveReplyCredentials(code)
      wiped = memzero.mock.calls.map(([buffer]) => buffer as Uint8Array).filter((buffer) => buffer.length === 16)
    } finally {
      memzero.mockRestore()
    }
    expect(wiped).toHaveLength(1)
    expect(wiped[0]!.every((byte) => byte === 0)).toBe(true)
    expect(fromCode.replyKeyPair.publicKey).toEqual(fromBytes.replyKeyPair.publicKey)
    expect(fromCode.fetchTokenHash).toEqual(fromBytes.fetchTokenHash)
  })
})
