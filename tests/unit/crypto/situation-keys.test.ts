import {
  createSituationKey,
  initCrypto,
  keyCommitment,
  openMedicalKey,
  openNominativeKey,
  sealMedicalKey,
  sealNominativeKey,
  unwrapIdentitySecrets,
  wrapIdentitySecrets,
  wrapSituationKey,
  type MemberRole,
} from '#crypto/index.ts'
import { randomKey, sign, verifySignature } from '#crypto/primitives.ts'
import { sodium } from '#crypto/sodium.ts'
import fc from 'fast-check'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { author, boxOf, expectCryptoError, makeMember, recipientOf, type TestMember } from './helpers.ts'

const cellId = 'cell-1'
const anchor = { rosterSeq: 0, rosterHeadHash: new Uint8Array(32) }
const situationId = 'sit-1'
let coordinator: TestMember

beforeAll(async () => {
  await initCrypto()
  coordinator = makeMember({ memberId: 'coord', role: 'coordinator' })
})

describe('layer keys (issue 13 item 8)', () => {
  it('wraps only the pseudonymised key under the cell key', () => {
    const cellKey = randomKey()
    expect(wrapSituationKey({ cellId, situationId, situationKey: createSituationKey({ layer: 'pseudonymised', keyEpoch: 0 }), cellKey, cellEpoch: 0 }).length).toBeGreaterThan(0)
    for (const layer of ['nominative', 'medical'] as const) {
      expectCryptoError(() => wrapSituationKey({ cellId, situationId, situationKey: createSituationKey({ layer, keyEpoch: 0 }), cellKey, cellEpoch: 0 }), 'invalid_input')
    }
  })

  it('seals each layer key only as its own kind', () => {
    const member = makeMember({ memberId: 'm', role: 'member' })
    const recipient = { ...recipientOf(member), healthProfessional: true }
    expectCryptoError(() => sealNominativeKey({ cellId, situationId, nominativeKey: createSituationKey({ layer: 'medical', keyEpoch: 0 }), recipient, author: author(coordinator), anchor }), 'invalid_input')
    expectCryptoError(() => sealMedicalKey({ cellId, situationId, medicalKey: createSituationKey({ layer: 'nominative', keyEpoch: 0 }), recipient, author: author(coordinator), anchor }), 'invalid_input')
    // A nominative wrap is not a medical one: the kind is signed into the blob.
    const nominativeKey = createSituationKey({ layer: 'nominative', keyEpoch: 0 })
    const wrap = sealNominativeKey({ cellId, situationId, nominativeKey, recipient, author: author(coordinator), anchor })
    const opening = { wrap, cellId, situationId, keyEpoch: 0, recipient: boxOf(member), authorId: 'coord', authorSignPublicKey: coordinator.identity.signing.publicKey, expectedCommitment: keyCommitment(nominativeKey.key) }
    expect(openNominativeKey(opening).layer).toBe('nominative')
    expectCryptoError(() => openMedicalKey(opening), 'context_mismatch')
  })

  it('gives a medical key only to a declared health professional who is neither DPO nor associate (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom<MemberRole>('dpo', 'associate', 'member', 'coordinator'), fc.boolean(), (role, healthProfessional) => {
        const member = makeMember({ memberId: 'r', role })
        const medicalKey = createSituationKey({ layer: 'medical', keyEpoch: 2 })
        const seal = () => sealMedicalKey({ cellId, situationId, medicalKey, recipient: { ...recipientOf(member), healthProfessional }, author: author(coordinator), anchor })
        if (role === 'dpo' || role === 'associate' || !healthProfessional) {
          expectCryptoError(seal, 'recipient_not_allowed')
          return
        }
        const opened = openMedicalKey({ wrap: seal(), cellId, situationId, keyEpoch: 2, recipient: boxOf(member), authorId: 'coord', authorSignPublicKey: coordinator.identity.signing.publicKey, expectedCommitment: keyCommitment(medicalKey.key) })
        expect(opened).toEqual(medicalKey)
      }),
      { numRuns: 40 },
    )
    // Not declared at all counts as not a health professional.
    const member = makeMember({ memberId: 'r', role: 'member' })
    expectCryptoError(() => sealMedicalKey({ cellId, situationId, medicalKey: createSituationKey({ layer: 'medical', keyEpoch: 0 }), recipient: recipientOf(member), author: author(coordinator), anchor }), 'recipient_not_allowed')
  })

  it('PoC 9: a nominative or medical key opened against another commitment is refused', () => {
    const member = makeMember({ memberId: 'm', role: 'member' })
    // A removed member (still holding a signing key the caller trusts) distributes a key of their choosing.
    const removed = makeMember({ memberId: 'gone', role: 'member' })
    const committed = createSituationKey({ layer: 'nominative', keyEpoch: 3 })
    const planted = createSituationKey({ layer: 'nominative', keyEpoch: 3 })
    const wrap = sealNominativeKey({ cellId, situationId, nominativeKey: planted, recipient: recipientOf(member), author: author(removed), anchor })
    const opening = { wrap, cellId, situationId, keyEpoch: 3, recipient: boxOf(member), authorId: 'gone', authorSignPublicKey: removed.identity.signing.publicKey }
    expectCryptoError(() => openNominativeKey({ ...opening, expectedCommitment: keyCommitment(committed.key) }), 'commitment_mismatch')
    // The parameter is required; an untyped caller leaving it out is refused too.
    expectCryptoError(() => openNominativeKey({ ...opening, expectedCommitment: undefined as never }), 'commitment_mismatch')

    const medicalCommitted = createSituationKey({ layer: 'medical', keyEpoch: 3 })
    const medicalPlanted = createSituationKey({ layer: 'medical', keyEpoch: 3 })
    const medicalWrap = sealMedicalKey({ cellId, situationId, medicalKey: medicalPlanted, recipient: { ...recipientOf(member), healthProfessional: true }, author: author(removed), anchor })
    expectCryptoError(() => openMedicalKey({ ...opening, wrap: medicalWrap, expectedCommitment: keyCommitment(medicalCommitted.key) }), 'commitment_mismatch')
    expect(openMedicalKey({ ...opening, wrap: medicalWrap, expectedCommitment: keyCommitment(medicalPlanted.key) }).key).toEqual(medicalPlanted.key)
  })
})

describe('wiping (review §9)', () => {
  it('unwrapIdentitySecrets wipes its 96-byte buffer after slicing; the returned keys still work', () => {
    const member = makeMember({ memberId: 'user-1', role: 'member' })
    const accountKey = randomKey()
    const wrapped = wrapIdentitySecrets({ userId: 'user-1', identity: member.identity, accountKey })
    // A spy that calls through: it only records which buffers the library zeroed.
    const memzero = vi.spyOn(sodium, 'memzero')
    let identity
    let wiped: Uint8Array[]
    try {
      identity = unwrapIdentitySecrets({ userId: 'user-1', wrapped, accountKey })
      wiped = memzero.mock.calls.map(([buffer]) => buffer as Uint8Array).filter((buffer) => buffer.length === 96)
    } finally {
      memzero.mockRestore()
    }
    expect(wiped).toHaveLength(1)
    expect(wiped[0]!.every((byte) => byte === 0)).toBe(true)
    expect(identity.signing.secretKey).toEqual(member.identity.signing.secretKey)
    expect(identity.box.secretKey).toEqual(member.identity.box.secretKey)
    const message = new Uint8Array([1, 2, 3])
    expect(verifySignature({ signature: sign({ message, secretKey: identity.signing.secretKey }), message, publicKey: member.identity.signing.publicKey })).toBe(true)
    expect(identity.box.publicKey).toEqual(member.identity.box.publicKey)
  })
})
