import { beforeAll, describe, expect, it } from 'vitest'
import { StaleAttestationError, prepareAttestation } from '#app/cells/cell-client.ts'
import {
  signKeyChange,
  createRosterLink,
  extendRoster,
  initCrypto,
  keyVerification,
  rosterCode,
  unattestedChanges,
  validateRoster,
  type RosterPayload,
  type RosterState,
} from '#crypto/index.ts'
import { author, buildCell, expectCryptoError, makeMember, type TestMember } from './helpers.ts'

/**
 * Review §1 « 1c », PoC 1b: the roster code changed at the first « J'atteste », so later
 * attestations certified a head nobody had read, and nothing read the attestations.
 */

beforeAll(async () => {
  await initCrypto()
})

const cellId = 'cell-livry'

function team() {
  const members = ['alice', 'bruno', 'chloe', 'david'].map(memberId => makeMember({ memberId, role: 'member' }))
  const cell = buildCell({ cellId, others: members })
  return { ...cell, members }
}

function attestationOf(state: RosterState): RosterPayload {
  return { type: 'verification_attestation', attestedSeq: state.securityHeadSeq, attestedHash: state.securityHeadHash }
}

function addMember(member: TestMember): RosterPayload {
  return { type: 'add_member', memberId: member.memberId, role: member.role, signPublicKey: member.identity.signing.publicKey, boxPublicKey: member.identity.box.publicKey }
}

describe('roster code over the security head', () => {
  it('stays identical through five attestations, and names the same security head', () => {
    const cell = team()
    const before = cell.getState()
    const code = rosterCode(before)
    expect(before.securityHeadSeq).toBe(before.headSeq)
    // Each attests the state read aloud, chained on whatever head the previous attestation left.
    const readAloud = attestationOf(before)
    for (const person of [cell.founder, ...cell.members]) cell.append({ by: person, payload: readAloud })
    const after = validateRoster({ cellId, links: cell.links })
    expect(after.headSeq).toBe(before.headSeq + 5)
    expect(after.securityHeadSeq).toBe(before.securityHeadSeq)
    expect(rosterCode(after)).toBe(code)
    // The first link that is not an attestation moves the head and the code.
    cell.append({ by: cell.founder, payload: { type: 'charter_version', version: 1, charterHash: new Uint8Array(32).fill(7) } })
    expect(cell.getState().securityHeadSeq).toBe(after.headSeq + 1)
    expect(rosterCode(cell.getState())).not.toBe(code)
  })

  it('still commits to the attestations made before the security head', () => {
    const cell = team()
    const base = cell.getState()
    const charter: RosterPayload = { type: 'charter_version', version: 1, charterHash: new Uint8Array(32).fill(7) }
    // Same charter link on top of two histories that differ only by who attested.
    const byAlice = extendRoster({ state: base, links: [createRosterLink({ state: base, author: author(cell.members[0] as TestMember), payload: attestationOf(base), createdAtMs: 1 })] })
    const byBruno = extendRoster({ state: base, links: [createRosterLink({ state: base, author: author(cell.members[1] as TestMember), payload: attestationOf(base), createdAtMs: 1 })] })
    const left = extendRoster({ state: byAlice, links: [createRosterLink({ state: byAlice, author: author(cell.founder), payload: charter, createdAtMs: 2 })] })
    const right = extendRoster({ state: byBruno, links: [createRosterLink({ state: byBruno, author: author(cell.founder), payload: charter, createdAtMs: 2 })] })
    expect(left.securityHeadSeq).toBe(right.securityHeadSeq)
    expect(rosterCode(left)).not.toBe(rosterCode(right))
  })

  it('refuses an attestation of an attestation link', () => {
    const cell = team()
    cell.append({ by: cell.founder, payload: attestationOf(cell.getState()) })
    const state = cell.getState()
    const ofAttestation = createRosterLink({
      state,
      author: author(cell.members[0] as TestMember),
      payload: { type: 'verification_attestation', attestedSeq: state.headSeq, attestedHash: state.headHash },
      createdAtMs: 1,
    })
    expectCryptoError(() => extendRoster({ state, links: [ofAttestation] }), 'roster_invalid')
    expect(() => validateRoster({ cellId, links: [...cell.links, ofAttestation] })).toThrow(/attestation de l’état n° \d+, alors que l’état en vigueur est le n° \d+/)
  })

  it('refuses a stale attestation: the security head moved after the code was read', () => {
    const cell = team()
    const readAloud = attestationOf(cell.getState())
    cell.append({ by: cell.founder, payload: addMember(makeMember({ memberId: 'eve', role: 'member' })) })
    const state = cell.getState()
    const stale = createRosterLink({ state, author: author(cell.members[0] as TestMember), payload: readAloud, createdAtMs: 1 })
    expectCryptoError(() => extendRoster({ state, links: [stale] }), 'roster_invalid')
    // The genesis and any older link are no better.
    const genesis = createRosterLink({ state, author: author(cell.members[0] as TestMember), payload: { type: 'verification_attestation', attestedSeq: 0, attestedHash: state.linkHashes[0] as Uint8Array }, createdAtMs: 1 })
    expectCryptoError(() => extendRoster({ state, links: [genesis] }), 'roster_invalid')
    expect(extendRoster({ state, links: [createRosterLink({ state, author: author(cell.members[0] as TestMember), payload: attestationOf(state), createdAtMs: 1 })] }).attestedSecurityHeadSeq).toBe(state.securityHeadSeq)
  })
})

describe('attestations used: keys verified at a meeting', () => {
  it('follows each member across add_member, attestation, key_change and the next attestation', () => {
    const cell = buildCell({ cellId, others: [] })
    expect(keyVerification({ state: cell.getState(), memberId: 'founder' })).toEqual({ status: 'unverified', keysSetAtSeq: 0 })
    // The genesis alone is no change to attest: no banner for a cell of one.
    expect(unattestedChanges(cell.getState())).toEqual([])
    expect(keyVerification({ state: cell.getState(), memberId: 'nobody' })).toBeUndefined()

    const alice = makeMember({ memberId: 'alice', role: 'member' })
    const bruno = makeMember({ memberId: 'bruno', role: 'member' })
    cell.append({ by: cell.founder, payload: addMember(alice) })
    cell.append({ by: cell.founder, payload: addMember(bruno) })
    expect(unattestedChanges(cell.getState())).toEqual([
      { seq: 1, type: 'add_member', memberId: 'alice' },
      { seq: 2, type: 'add_member', memberId: 'bruno' },
    ])
    expect(keyVerification({ state: cell.getState(), memberId: 'alice' })?.status).toBe('unverified')

    cell.append({ by: alice, payload: attestationOf(cell.getState()) })
    let state = cell.getState()
    expect(unattestedChanges(state)).toEqual([])
    for (const memberId of ['founder', 'alice', 'bruno']) expect(keyVerification({ state, memberId })).toMatchObject({ status: 'verified', attestedSeq: 2 })

    // Bruno's keys change (readmission): only his badge goes, until the next meeting.
    const brunoAgain = makeMember({ memberId: 'bruno', role: 'member' })
    const newKeys = { memberId: 'bruno', signPublicKey: brunoAgain.identity.signing.publicKey, boxPublicKey: brunoAgain.identity.box.publicKey }
    const previous = { signPublicKey: bruno.identity.signing.publicKey, boxPublicKey: bruno.identity.box.publicKey }
    cell.append({ by: cell.founder, payload: { type: 'key_change', ...newKeys, selfSignature: signKeyChange({ cellId, keys: newKeys, previous, newSignSecretKey: brunoAgain.identity.signing.secretKey }) } })
    // Links that set no keys move the security head without making anyone unverified.
    cell.append({ by: cell.founder, payload: { type: 'charter_version', version: 2, charterHash: new Uint8Array(32).fill(2) } })
    state = cell.getState()
    expect(keyVerification({ state, memberId: 'bruno' })).toEqual({ status: 'unverified', keysSetAtSeq: 4 })
    expect(keyVerification({ state, memberId: 'alice' })).toMatchObject({ status: 'verified', keysSetAtSeq: 1, attestedSeq: 2 })
    expect(unattestedChanges(state)).toEqual([{ seq: 4, type: 'key_change', memberId: 'bruno' }])

    cell.append({ by: brunoAgain, payload: attestationOf(state) })
    state = validateRoster({ cellId, links: cell.links })
    expect(unattestedChanges(state)).toEqual([])
    expect(keyVerification({ state, memberId: 'bruno' })).toEqual({ status: 'verified', keysSetAtSeq: 4, attestedSeq: 5 })
  })
})

describe('prepareAttestation attests what the person saw', () => {
  const keysOf = (member: TestMember) => ({ userId: member.memberId, accountKey: new Uint8Array(32), identity: member.identity })

  it('chains on the fresh head but names the displayed security head, so colleagues attesting after one another all succeed', () => {
    const cell = team()
    const shown = cell.getState()
    const displayed = { seq: shown.securityHeadSeq, hash: shown.securityHeadHash }
    let state = shown
    const links: (Uint8Array | string)[] = [...cell.links]
    for (const person of cell.members) {
      const body = prepareAttestation({ state, displayed, keys: keysOf(person) })
      state = extendRoster({ state, links: body.links })
      links.push(...body.links)
      expect(state.attestedSecurityHeadSeq).toBe(displayed.seq)
    }
    expect(state.headSeq).toBe(shown.headSeq + cell.members.length)
    expect(rosterCode(validateRoster({ cellId, links }))).toBe(rosterCode(shown))
  })

  it('refuses, in French and before signing, when the security head moved since the display', () => {
    const cell = team()
    const shown = cell.getState()
    cell.append({ by: cell.founder, payload: addMember(makeMember({ memberId: 'eve', role: 'member' })) })
    const run = () => prepareAttestation({ state: cell.getState(), displayed: { seq: shown.securityHeadSeq, hash: shown.securityHeadHash }, keys: keysOf(cell.members[0] as TestMember) })
    expect(run).toThrow(StaleAttestationError)
    expect(run).toThrow(/Le registre a changé depuis l’affichage de ce code .* rechargez la page, comparez de nouveau/)
  })
})
