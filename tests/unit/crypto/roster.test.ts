import {
  answerInvitation,
  assertWritableEpoch,
  checkInvitationAnswer,
  checkRosterPin,
  createInvitation,
  createRosterLink,
  createSituationKey,
  openNote,
  signingKeyAt,
  signKeyChange,
  sealNote,
  verifyNote,
  extendRoster,
  genesisAnchor,
  initCrypto,
  parseRosterLink,
  rosterCode,
  rosterPin,
  validateRoster,
  type RosterPayload,
} from '#crypto/index.ts'
import { encodeRosterLink } from '#crypto/roster-links.ts'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { author, buildCell, expectCryptoError, flipByte, makeMember, rotatePayload, type TestMember } from './helpers.ts'

beforeAll(async () => {
  await initCrypto()
})

const cellId = 'cell-sevran'

function cellWithTeam() {
  const alice = makeMember({ memberId: 'alice', role: 'member' })
  const bruno = makeMember({ memberId: 'bruno', role: 'coordinator' })
  const chloe = makeMember({ memberId: 'chloe', role: 'associate' })
  const dpo = makeMember({ memberId: 'dpo', role: 'dpo' })
  const cell = buildCell({ cellId, others: [alice, bruno, chloe, dpo] })
  return { ...cell, alice, bruno, chloe, dpo }
}

function keyChangeOf({ target, replacement }: { target: TestMember; replacement: TestMember }): RosterPayload {
  const keys = { memberId: target.memberId, signPublicKey: replacement.identity.signing.publicKey, boxPublicKey: replacement.identity.box.publicKey }
  const previous = { signPublicKey: target.identity.signing.publicKey, boxPublicKey: target.identity.box.publicKey }
  return { type: 'key_change', ...keys, selfSignature: signKeyChange({ cellId, keys, previous, newSignSecretKey: replacement.identity.signing.secretKey }) }
}

function payloadsFor(target: TestMember): RosterPayload[] {
  const newcomer = makeMember({ memberId: 'zoe', role: 'member' })
  return [
    { type: 'add_member', memberId: 'zoe', role: 'member', signPublicKey: newcomer.identity.signing.publicKey, boxPublicKey: newcomer.identity.box.publicKey },
    { type: 'remove_member', memberId: target.memberId },
    { type: 'set_role', memberId: target.memberId, role: 'coordinator' },
    rotatePayload({ epoch: 0, recipientIds: ['alice', 'bruno', 'chloe', 'founder'], indexRecipientIds: ['alice', 'bruno', 'founder'] }),
    { type: 'publish_intake_key', index: 0, boxPublicKey: new Uint8Array(32).fill(1), signPublicKey: new Uint8Array(32).fill(2), notAfterMs: 10_000_000, seedCommitment: new Uint8Array(32).fill(5), triageIds: ['bruno', 'founder'], predecessorSignature: new Uint8Array(0) },
    keyChangeOf({ target, replacement: newcomer }),
    { type: 'charter_version', version: 1, charterHash: new Uint8Array(32).fill(3) },
  ]
}

describe('roster log', () => {
  it('validates a well-formed chain and derives members, epochs, intake keys, charter', () => {
    const cell = cellWithTeam()
    cell.append({ by: cell.bruno, payload: rotatePayload({ epoch: 0, recipientIds: ['alice', 'bruno', 'chloe', 'founder'], indexRecipientIds: ['alice', 'bruno', 'founder'] }) })
    cell.append({ by: cell.founder, payload: { type: 'charter_version', version: 1, charterHash: new Uint8Array(32).fill(4) } })
    const head = cell.getState()
    cell.append({ by: cell.dpo, payload: { type: 'verification_attestation', attestedSeq: head.headSeq, attestedHash: head.headHash } })
    const state = validateRoster({ cellId, links: cell.links })
    expect(state.headSeq).toBe(cell.links.length - 1)
    expect(state.currentEpoch).toBe(0)
    expect(state.members.get('chloe')?.role).toBe('associate')
    expect(state.charter?.version).toBe(1)
    expect(parseRosterLink(cell.links[0] as Uint8Array).prevHash).toEqual(genesisAnchor(cellId))
  })

  it('rejects every coordinator-only link signed by a non-coordinator (property)', () => {
    const cell = cellWithTeam()
    const base = cell.getState()
    fc.assert(
      fc.property(fc.constantFrom(cell.alice, cell.chloe, cell.dpo), fc.nat({ max: 6 }), (signer, which) => {
        const payload = payloadsFor(cell.alice)[which] as RosterPayload
        const link = createRosterLink({ state: base, author: author(signer), payload, createdAtMs: 1 })
        expectCryptoError(() => validateRoster({ cellId, links: [...cell.links, link] }), 'roster_invalid')
      }),
      { numRuns: 60 },
    )
  })

  it('accepts the same links from a coordinator', () => {
    const cell = cellWithTeam()
    for (const payload of payloadsFor(cell.alice)) {
      const link = createRosterLink({ state: cell.getState(), author: author(cell.bruno), payload, createdAtMs: 1 })
      expect(validateRoster({ cellId, links: [...cell.links, link] }).headSeq).toBe(cell.links.length)
    }
  })

  it('invalidates any link by a removed member, including a removed coordinator', () => {
    const cell = cellWithTeam()
    cell.append({ by: cell.founder, payload: { type: 'remove_member', memberId: 'bruno' } })
    cell.append({ by: cell.founder, payload: { type: 'remove_member', memberId: 'alice' } })
    const state = cell.getState()
    expect(state.rotationRequired).toBe(true)
    expectCryptoError(() => assertWritableEpoch({ state, epoch: 0 }), 'stale_epoch')
    for (const [by, payload] of [
      [cell.bruno, { type: 'charter_version', version: 5, charterHash: new Uint8Array(32) }],
      [cell.alice, { type: 'verification_attestation', attestedSeq: 0, attestedHash: state.linkHashes[0] }],
    ] as const) {
      const link = createRosterLink({ state, author: author(by), payload: payload as RosterPayload, createdAtMs: 1 })
      expectCryptoError(() => validateRoster({ cellId, links: [...cell.links, link] }), 'roster_invalid')
    }
  })

  it('rejects truncated (gap), reordered, altered, re-rooted and forked chains', () => {
    const cell = cellWithTeam()
    const links = cell.links
    fc.assert(
      fc.property(fc.integer({ min: 1, max: links.length - 2 }), (missing) => {
        // Dropping the last link leaves a valid prefix: that case is the pin’s job (rollback test).

        expectCryptoError(() => validateRoster({ cellId, links: links.filter((_, index) => index !== missing) }), 'roster_invalid')
      }),
      { numRuns: 20 },
    )
    expectCryptoError(() => validateRoster({ cellId, links: links.slice(1) }), 'roster_invalid')
    expectCryptoError(() => validateRoster({ cellId, links: [links[0] as Uint8Array, links[2] as Uint8Array, links[1] as Uint8Array] }), 'roster_invalid')
    expectCryptoError(() => validateRoster({ cellId: 'other-cell', links }), 'roster_invalid')
    for (let index = 0; index < (links[1] as Uint8Array).length; index += 7) {
      const altered = [...links]
      altered[1] = flipByte({ bytes: links[1] as Uint8Array, index, mask: 0x41 })
      expectCryptoError(() => validateRoster({ cellId, links: altered }))
    }
    // Fork: two different links at the same seq cannot both be in one chain.
    const state = validateRoster({ cellId, links })
    const a = createRosterLink({ state, author: author(cell.founder), payload: { type: 'charter_version', version: 1, charterHash: new Uint8Array(32).fill(1) }, createdAtMs: 1 })
    const b = createRosterLink({ state, author: author(cell.founder), payload: { type: 'charter_version', version: 1, charterHash: new Uint8Array(32).fill(2) }, createdAtMs: 1 })
    expectCryptoError(() => validateRoster({ cellId, links: [...links, a, b] }), 'roster_invalid')
  })

  it('refuses a second genesis and a genesis signed by someone else than the founder', () => {
    const cell = cellWithTeam()
    const other = makeMember({ memberId: 'founder', role: 'coordinator' })
    const forged = encodeRosterLink({
      link: { seq: 0, prevHash: genesisAnchor(cellId), cellId, authorId: 'founder', createdAtMs: 1, payload: { type: 'genesis', founder: { memberId: 'founder', signPublicKey: cell.founder.identity.signing.publicKey, boxPublicKey: cell.founder.identity.box.publicKey } } },
      authorSignSecretKey: other.identity.signing.secretKey,
    })
    expectCryptoError(() => validateRoster({ cellId, links: [forged] }), 'roster_invalid')
    const second = createRosterLink({ state: cell.getState(), author: author(cell.founder), payload: { type: 'genesis', founder: { memberId: 'x', signPublicKey: other.identity.signing.publicKey, boxPublicKey: other.identity.box.publicKey } }, createdAtMs: 1 })
    expectCryptoError(() => validateRoster({ cellId, links: [...cell.links, second] }), 'roster_invalid')
  })

  it('refuses a rotation whose recipients differ from the active members (server-minted reader)', () => {
    const cell = cellWithTeam()
    const link = createRosterLink({ state: cell.getState(), author: author(cell.founder), payload: rotatePayload({ epoch: 0, recipientIds: ['alice', 'bruno', 'chloe', 'dpo', 'founder'], indexRecipientIds: ['alice', 'bruno', 'founder'] }), createdAtMs: 1 })
    expectCryptoError(() => validateRoster({ cellId, links: [...cell.links, link] }), 'roster_invalid')
    // Nor may the index key (nominative by nature) go to an associate (review §8).
    const toAssociate = createRosterLink({ state: cell.getState(), author: author(cell.founder), payload: rotatePayload({ epoch: 0, recipientIds: ['alice', 'bruno', 'chloe', 'founder'], indexRecipientIds: ['alice', 'bruno', 'chloe', 'founder'] }), createdAtMs: 1 })
    expectCryptoError(() => validateRoster({ cellId, links: [...cell.links, toAssociate] }), 'roster_invalid')
  })

  it('pins (seq, hash): refuses rollback to a shorter roster and a fork at the pinned seq', () => {
    const cell = cellWithTeam()
    const pin = rosterPin(validateRoster({ cellId, links: cell.links }))
    expectCryptoError(() => validateRoster({ cellId, links: cell.links.slice(0, -1), pin }), 'roster_rollback')
    const prefix = cell.links.slice(0, -1)
    const prefixState = validateRoster({ cellId, links: prefix })
    const fork = createRosterLink({ state: prefixState, author: author(cell.founder), payload: { type: 'charter_version', version: 9, charterHash: new Uint8Array(32) }, createdAtMs: 1 })
    const forkState = extendRoster({ state: prefixState, links: [fork] })
    expectCryptoError(() => checkRosterPin({ state: forkState, pin }), 'roster_fork')
    const longer = [...cell.links, createRosterLink({ state: validateRoster({ cellId, links: cell.links }), author: author(cell.founder), payload: { type: 'charter_version', version: 1, charterHash: new Uint8Array(32) }, createdAtMs: 1 })]
    expect(validateRoster({ cellId, links: longer, pin }).headSeq).toBe(pin.seq + 1)
  })

  it('key change: later links need the new key; the old key verifies only what it signed before (PoC 1c, 4a)', () => {
    const cell = cellWithTeam()
    const situationKey = createSituationKey({ layer: 'pseudonymised', keyEpoch: 0 })
    const context = { cellId, situationId: 's', noteId: 'n', revision: 1, layer: 'pseudonymised' as const }
    const written = cell.getState()
    const seqBefore = written.headSeq
    const provenance = { rosterSeq: written.headSeq, rosterHeadHash: written.headHash, cellEpoch: 0, situationLogSeq: 0, prevRevisionHash: new Uint8Array(32), createdAtMs: 1 }
    const before = sealNote({ context, provenance, layer: 'pseudonymised', author: author(cell.alice), situationKey, body: new Uint8Array([1]) })
    const replacement = makeMember({ memberId: 'alice', role: 'member' })
    cell.append({ by: cell.founder, payload: keyChangeOf({ target: cell.alice, replacement }) })
    const state = cell.getState()
    expect(state.rotationRequired).toBe(true)
    const head = { attestedSeq: state.headSeq, attestedHash: state.headHash }
    const oldKeyLink = createRosterLink({ state, author: author(cell.alice), payload: { type: 'verification_attestation', ...head }, createdAtMs: 1 })
    expectCryptoError(() => extendRoster({ state, links: [oldKeyLink] }), 'roster_invalid')
    const newKeyLink = createRosterLink({ state, author: author(replacement), payload: { type: 'verification_attestation', ...head }, createdAtMs: 1 })
    expect(extendRoster({ state, links: [newKeyLink] }).headSeq).toBe(state.headSeq + 1)
    const opened = openNote({ envelope: before, expected: context, situationKeys: [situationKey] })
    expect(verifyNote({ note: opened, authorKeyAt: (memberId, seq) => signingKeyAt({ state, memberId, seq }) }).verification).toBe('verified')
    expect(signingKeyAt({ state, memberId: 'alice', seq: seqBefore })).toEqual(cell.alice.identity.signing.publicKey)
    // After the change the old key signs nothing: a note claiming a later roster seq is rejected.
    expect(signingKeyAt({ state, memberId: 'alice', seq: state.headSeq })).toEqual(replacement.identity.signing.publicKey)
    expect(verifyNote({ note: opened, authorKeyAt: (memberId) => signingKeyAt({ state, memberId, seq: state.headSeq }) }).verification).toBe('rejected')
    expect(signingKeyAt({ state, memberId: 'nobody', seq: 0 })).toBeUndefined()
  })

  it('key change: refused without the member’s self-signature, or with one over other old keys (PoC 1c)', () => {
    const cell = cellWithTeam()
    const mallory = makeMember({ memberId: 'alice', role: 'member' })
    const forged = { ...(keyChangeOf({ target: cell.alice, replacement: mallory }) as Extract<RosterPayload, { type: 'key_change' }>), selfSignature: new Uint8Array(64) }
    expectCryptoError(() => cell.append({ by: cell.founder, payload: forged }), 'roster_invalid')
    const stale = keyChangeOf({ target: cell.bruno, replacement: mallory })
    expectCryptoError(() => cell.append({ by: cell.founder, payload: { ...(stale as Extract<RosterPayload, { type: 'key_change' }>), memberId: 'alice' } }), 'roster_invalid')
  })

  it('removing a DPO needs no rotation (PoC 1d); removing a keyholder does', () => {
    const cell = cellWithTeam()
    cell.append({ by: cell.founder, payload: rotatePayload({ epoch: 0, recipientIds: ['alice', 'bruno', 'chloe', 'founder'], indexRecipientIds: ['alice', 'bruno', 'founder'] }) })
    cell.append({ by: cell.founder, payload: { type: 'remove_member', memberId: 'dpo' } })
    expect(cell.getState().rotationRequired).toBe(false)
    expect(() => assertWritableEpoch({ state: cell.getState(), epoch: 0 })).not.toThrow()
    cell.append({ by: cell.founder, payload: { type: 'set_role', memberId: 'alice', role: 'associate' } })
    expect(cell.getState().rotationRequired).toBe(true)
  })

  it('roster code: 12 digits, equal for equal rosters, different after any change', () => {
    const cell = cellWithTeam()
    const code = rosterCode(validateRoster({ cellId, links: cell.links }))
    expect(code).toMatch(/^\d{4} \d{4} \d{4}$/)
    expect(rosterCode(validateRoster({ cellId, links: [...cell.links] }))).toBe(code)
    expect(rosterCode(validateRoster({ cellId, links: cell.links.slice(0, -1) }))).not.toBe(code)
  })

  it('invitation: both sides compute the same SAS; a substituted key changes it or fails the proof', () => {
    const cell = cellWithTeam()
    const invitation = createInvitation({ cellId })
    const zoe = makeMember({ memberId: 'zoe', role: 'member' })
    const newcomer = { memberId: 'zoe', signPublicKey: zoe.identity.signing.publicKey, boxPublicKey: zoe.identity.box.publicKey }
    const coordinatorSignPublicKey = cell.founder.identity.signing.publicKey
    const answer = answerInvitation({ cellId, invitationCode: invitation.code, newcomer, coordinatorSignPublicKey })
    expect(answer.sas).toMatch(/^\d{4} \d{4}$/)
    expect(checkInvitationAnswer({ invitation, newcomer, coordinatorSignPublicKey, proof: answer.proof }).sas).toBe(answer.sas)
    const attacker = makeMember({ memberId: 'zoe', role: 'member' })
    expectCryptoError(() => checkInvitationAnswer({ invitation, newcomer: { ...newcomer, boxPublicKey: attacker.identity.box.publicKey }, coordinatorSignPublicKey, proof: answer.proof }), 'bad_signature')
    const fooled = answerInvitation({ cellId, invitationCode: invitation.code, newcomer, coordinatorSignPublicKey: attacker.identity.signing.publicKey })
    expect(fooled.sas).not.toBe(answer.sas)
  })
})
