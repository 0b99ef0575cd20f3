import { randomUUID } from 'node:crypto'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { checkRoster } from '#app/cells/cell-client.ts'
import {
  assertRosterAnchored,
  authoredLinks,
  newcomerAnchorMatches,
  ownEntryProblem,
  RosterAnchorError,
  signedByMember,
  UNANCHORED_MESSAGE,
  validateRosterForSealing,
  type OwnPublicKeys,
} from '#app/cells/roster-pins-anchor.ts'
import { comparePins, mergePinSets, openRosterPins, sealRosterPins, type PinSet } from '#app/cells/roster-pins.ts'
import { rememberNewcomerAnchor } from '#app/cells/roster-pins-sync.ts'
import { ByteWriter, fromBase64Url, toBase64Url } from '#crypto/encoding.ts'
import { CryptoFormatError, CryptoVerificationError } from '#crypto/errors.ts'
import { generateIdentityKeys, type IdentityKeys } from '#crypto/identity.ts'
import { randomKey } from '#crypto/primitives.ts'
import { createGenesisLink, createRosterLink, rosterPin, validateRoster, type RosterPin } from '#crypto/roster.ts'
import { signKeyChange } from '#crypto/roster-links.ts'
import { initCrypto, sodium } from '#crypto/sodium.ts'
import { author, buildCell, flipByte, makeMember, type TestMember } from '../crypto/helpers.ts'

/**
 * Issue 13 item 5 (review 1b, PoC 1): a browser without a pin accepted a roster the server made up.
 * The synced pins, the merge rule, the newcomer's anchor, the self-check and the refusal to seal
 * from an unanchored roster, with the real library.
 */

beforeAll(async () => {
  await initCrypto()
})
afterEach(() => {
  vi.unstubAllGlobals()
})

const pin = (seq: number, fill: number): RosterPin => ({ seq, hash: toBase64Url(new Uint8Array(32).fill(fill)) })
const ownKeys = (member: TestMember): OwnPublicKeys => ({ memberId: member.memberId, signPublicKey: member.identity.signing.publicKey, boxPublicKey: member.identity.box.publicKey })
const unlocked = (member: { memberId: string; identity: IdentityKeys }) => ({ userId: member.memberId, identity: member.identity })

/** A storage with what the browser's does, enough for pins. */
function fakeStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial))
  return {
    items,
    get length() {
      return items.size
    },
    key: (index: number) => [...items.keys()][index] ?? null,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  }
}

function useStorages() {
  const local = fakeStorage()
  const session = fakeStorage()
  vi.stubGlobal('window', { localStorage: local, sessionStorage: session })
  return { local, session }
}

/** PoC 1: the server's own roster for the same cell: same founder id, its own keys, the victim's real public keys. */
function fabricatedRoster({ cellId, victim }: { cellId: string; victim: TestMember }) {
  const server = makeMember({ memberId: 'founder', role: 'coordinator' })
  const genesis = createGenesisLink({
    cellId,
    founder: { memberId: 'founder', signPublicKey: server.identity.signing.publicKey, signSecretKey: server.identity.signing.secretKey, boxPublicKey: server.identity.box.publicKey },
    createdAtMs: 1_700_000_000_000,
  })
  const state = validateRoster({ cellId, links: [genesis] })
  const add = createRosterLink({ state, author: author(server), createdAtMs: 1_700_000_000_001, payload: { type: 'add_member', role: 'member', ...ownKeys(victim) } })
  return { server, links: [genesis, add].map(toBase64Url) }
}

describe('the synced pin blob', () => {
  const userId = randomUUID()
  const pins: PinSet = new Map([
    [randomUUID(), pin(4, 1)],
    [randomUUID(), pin(17, 2)],
  ])

  it('opens for the same account, key and counter, with every pin as sealed', () => {
    const accountKey = randomKey()
    const blob = sealRosterPins({ userId, accountKey, counter: 3, pins })
    expect(fromBase64Url(blob)[0]).toBe(1)
    expect(openRosterPins({ userId, accountKey, counter: 3, blob })).toEqual(pins)
    expect(openRosterPins({ userId, accountKey, counter: 1, blob: sealRosterPins({ userId, accountKey, counter: 1, pins: new Map() }) }).size).toBe(0)
  })

  it('cannot be moved to another account, replayed at another counter, altered or opened with another account key', () => {
    const accountKey = randomKey()
    const blob = sealRosterPins({ userId, accountKey, counter: 3, pins })
    expect(() => openRosterPins({ userId: randomUUID(), accountKey, counter: 3, blob })).toThrow(CryptoVerificationError)
    expect(() => openRosterPins({ userId, accountKey, counter: 4, blob })).toThrow(CryptoVerificationError)
    expect(() => openRosterPins({ userId, accountKey: randomKey(), counter: 3, blob })).toThrow(CryptoVerificationError)
    const bytes = fromBase64Url(blob)
    expect(() => openRosterPins({ userId, accountKey, counter: 3, blob: toBase64Url(flipByte({ bytes, index: bytes.length - 20, mask: 1 })) })).toThrow(CryptoVerificationError)
    // Another version byte is a format error before anything is opened.
    expect(() => openRosterPins({ userId, accountKey, counter: 3, blob: toBase64Url(flipByte({ bytes, index: 0, mask: 2 })) })).toThrow(CryptoFormatError)
  })

  it('has the byte layout crypto/README.md gives (a known answer, checked against libsodium directly)', () => {
    const userId = '0190f0a2-0000-7000-8000-000000000001'
    const cellId = '0190f0a2-0000-7000-8000-00000000c001'
    const accountKey = new Uint8Array(32).fill(7)
    const blob = sealRosterPins({ userId, accountKey, counter: 3, nonce: new Uint8Array(24).fill(9), pins: new Map([[cellId, { seq: 12, hash: toBase64Url(new Uint8Array(32).fill(5)) }]]) })
    expect(blob).toBe('AQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCdkzzohe3RG49ZUsRBRupIKu6ZWzRzeI_lrHtcdT4HJ8TWeW3WU3PdKatTPrleEOqZ63_irDSMygBqtpEMmHoEIS0NaUfw4Vjg4W6UfeLbw9KNy4vZrjbNUihyiAraw')
    const bytes = fromBase64Url(blob)
    const key = sodium.crypto_kdf_derive_from_key(32, 1, 'rostpins', accountKey)
    const ad = new ByteWriter().u8(1).string('cellule/roster-pins/v1').string(userId).u64(3).finish()
    const body = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, bytes.subarray(25), ad, bytes.subarray(1, 25), key)
    expect(toBase64Url(body)).toBe(toBase64Url(new ByteWriter().u32(1).string(cellId).u32(12).bytes(new Uint8Array(32).fill(5)).finish()))
  })

  it('refuses to seal a pin that is not a pin', () => {
    expect(() => sealRosterPins({ userId, accountKey: randomKey(), counter: 1, pins: new Map([['cellule', { seq: -1, hash: pin(0, 1).hash }]]) })).toThrow(CryptoFormatError)
    expect(() => sealRosterPins({ userId, accountKey: randomKey(), counter: 1, pins: new Map([['cellule', { seq: 1, hash: 'AAAA' }]]) })).toThrow(CryptoFormatError)
  })
})

describe('the merge rule', () => {
  it('per cell, the highest seq wins; the same seq with another hash is a fork', () => {
    expect(comparePins(pin(5, 1), pin(3, 9))).toEqual({ kind: 'first' })
    expect(comparePins(pin(3, 9), pin(5, 1))).toEqual({ kind: 'second' })
    expect(comparePins(pin(5, 1), pin(5, 1))).toEqual({ kind: 'same' })
    expect(comparePins(pin(5, 1), pin(5, 2))).toEqual({ kind: 'fork' })
    expect(comparePins(undefined, pin(0, 1))).toEqual({ kind: 'second' })
    expect(comparePins(pin(0, 1), undefined)).toEqual({ kind: 'first' })
  })

  it('merges two sets, keeps the first side of a fork and lists it', () => {
    const local: PinSet = new Map([
      ['a', pin(8, 1)],
      ['b', pin(2, 1)],
      ['c', pin(4, 1)],
    ])
    const synced: PinSet = new Map([
      ['a', pin(6, 1)],
      ['b', pin(3, 7)],
      ['c', pin(4, 5)],
      ['d', pin(1, 1)],
    ])
    const merged = mergePinSets({ first: local, second: synced })
    expect(merged.pins).toEqual(
      new Map([
        ['a', pin(8, 1)],
        ['b', pin(3, 7)],
        ['c', pin(4, 1)],
        ['d', pin(1, 1)],
      ]),
    )
    expect(merged.forks).toEqual(['c'])
    expect(merged.changedFirst).toBe(true)
    expect(mergePinSets({ first: merged.pins, second: local }).changedFirst).toBe(false)
  })
})

describe('the anchor decision', () => {
  it('a link the member signed with their current key anchors; another member’s does not', () => {
    const cellId = randomUUID()
    const member = makeMember({ memberId: 'member-1', role: 'member' })
    const cell = buildCell({ cellId, others: [member] })
    const authored = authoredLinks({ cellId, links: cell.links })
    expect(signedByMember({ authored, me: ownKeys(cell.founder) })).toBe(true)
    expect(signedByMember({ authored, me: ownKeys(member) })).toBe(false)
    // The member's attestation anchors their device.
    const state = cell.getState()
    cell.append({ by: member, payload: { type: 'verification_attestation', attestedSeq: state.headSeq, attestedHash: state.headHash } })
    expect(signedByMember({ authored: authoredLinks({ cellId, links: cell.links }), me: ownKeys(member) })).toBe(true)
  })

  it('the newcomer’s roster must show their arrival with their exact keys, signed by the coordinator key the SAS checked', () => {
    const cellId = randomUUID()
    const newcomer = makeMember({ memberId: 'newcomer', role: 'member' })
    const cell = buildCell({ cellId, others: [newcomer] })
    const state = cell.getState()
    const authored = authoredLinks({ cellId, links: cell.links })
    const coordinatorSignPublicKey = cell.founder.identity.signing.publicKey
    expect(newcomerAnchorMatches({ state, authored, anchor: { coordinatorSignPublicKey, newcomer: ownKeys(newcomer) } })).toBe(true)
    // Another coordinator key than the one the SAS bound.
    expect(newcomerAnchorMatches({ state, authored, anchor: { coordinatorSignPublicKey: generateIdentityKeys().signing.publicKey, newcomer: ownKeys(newcomer) } })).toBe(false)
    // Other keys for the newcomer than those they answered with.
    const other = generateIdentityKeys()
    expect(newcomerAnchorMatches({ state, authored, anchor: { coordinatorSignPublicKey, newcomer: { memberId: 'newcomer', signPublicKey: other.signing.publicKey, boxPublicKey: other.box.publicKey } } })).toBe(false)
  })

  it('PoC 1 on the newcomer: the server’s roster, even with their real keys, does not match the SAS-verified key', () => {
    const cellId = randomUUID()
    const victim = makeMember({ memberId: 'victim', role: 'member' })
    const genuine = buildCell({ cellId, others: [victim] })
    const fake = fabricatedRoster({ cellId, victim })
    const state = validateRoster({ cellId, links: fake.links })
    const anchor = { coordinatorSignPublicKey: genuine.founder.identity.signing.publicKey, newcomer: ownKeys(victim) }
    expect(newcomerAnchorMatches({ state, authored: authoredLinks({ cellId, links: fake.links }), anchor })).toBe(false)
  })

  it('the own entry: missing, or with other keys, is the alarm', () => {
    const cellId = randomUUID()
    const member = makeMember({ memberId: 'member-1', role: 'member' })
    const cell = buildCell({ cellId, others: [member] })
    expect(ownEntryProblem({ state: cell.getState(), me: ownKeys(member) })).toBeNull()
    expect(ownEntryProblem({ state: cell.getState(), me: { ...ownKeys(member), memberId: 'stranger' } })).toMatch(/absente du registre/)
    const replacement = generateIdentityKeys()
    const keys = { memberId: member.memberId, signPublicKey: replacement.signing.publicKey, boxPublicKey: replacement.box.publicKey }
    const previous = { signPublicKey: member.identity.signing.publicKey, boxPublicKey: member.identity.box.publicKey }
    cell.append({ by: cell.founder, payload: { type: 'key_change', ...keys, selfSignature: signKeyChange({ cellId, keys, previous, newSignSecretKey: replacement.signing.secretKey }) } })
    expect(ownEntryProblem({ state: cell.getState(), me: ownKeys(member) })).toMatch(/vos propres clés ont été remplacées/)
  })

  it('sealing needs a checked, anchored roster carrying the sealer’s own keys', () => {
    const cellId = randomUUID()
    const second = makeMember({ memberId: 'coordinator-2', role: 'coordinator' })
    const cell = buildCell({ cellId, others: [second] })
    // A state no check recorded: refused.
    expect(() => assertRosterAnchored({ state: validateRoster({ cellId, links: cell.links }), keys: unlocked(cell.founder) })).toThrow(RosterAnchorError)
    const state = validateRosterForSealing({ cellId, links: cell.links })
    // The founder signed its links: anchored.
    expect(() => assertRosterAnchored({ state, keys: unlocked(cell.founder) })).not.toThrow()
    // A second coordinator who never signed anything, on a device without pins: refused, in French.
    expect(() => assertRosterAnchored({ state, keys: unlocked(second) })).toThrow(UNANCHORED_MESSAGE)
    // Someone whose entry carries other keys: the alarm, not the anchor message.
    expect(() => assertRosterAnchored({ state, keys: { userId: second.memberId, identity: generateIdentityKeys() } })).toThrow(/vos propres clés ont été remplacées/)
  })
})

describe('checkRoster on a device, keys locked', () => {
  it('a first visit with nothing anchored is valid but unanchored; an anchored pin makes later visits anchored', async () => {
    const { local } = useStorages()
    const cellId = randomUUID()
    const member = makeMember({ memberId: 'member-1', role: 'member' })
    const cell = buildCell({ cellId, others: [member] })
    const links = cell.links.map(toBase64Url)
    const first = await checkRoster({ cellId, links, userId: member.memberId })
    expect(first).toMatchObject({ ok: true, anchor: null, ownKeysChecked: false })
    // What a synced pin brings to this device at login.
    local.setItem(`cellule.roster-anchor.${member.memberId}.${cellId}`, JSON.stringify(rosterPin(cell.getState())))
    const state = cell.getState()
    cell.append({ by: cell.founder, payload: { type: 'verification_attestation', attestedSeq: state.headSeq, attestedHash: state.headHash } })
    const second = await checkRoster({ cellId, links: cell.links.map(toBase64Url), userId: member.memberId })
    expect(second).toMatchObject({ ok: true, anchor: 'pin' })
    // The anchored pin moved forward with the check.
    expect(JSON.parse(local.getItem(`cellule.roster-anchor.${member.memberId}.${cellId}`) ?? 'null')).toEqual(rosterPin(cell.getState()))
  })

  it('PoC 1: a fabricated roster on a device that holds no seen pin but an anchored one is the fork alarm', async () => {
    const { local } = useStorages()
    const cellId = randomUUID()
    const victim = makeMember({ memberId: 'victim', role: 'member' })
    const genuine = buildCell({ cellId, others: [victim] })
    local.setItem(`cellule.roster-anchor.victim.${cellId}`, JSON.stringify(rosterPin(genuine.getState())))
    const fake = fabricatedRoster({ cellId, victim })
    expect(await checkRoster({ cellId, links: fake.links, userId: 'victim' })).toMatchObject({ ok: false, source: 'roster', message: expect.stringMatching(/diverge/) })
    // Nothing of the fake roster was pinned.
    expect(local.getItem(`cellule.roster-pin.victim.${cellId}`)).toBeNull()
  })

  it('a fork recorded between two devices keeps the alarm up', async () => {
    const { local } = useStorages()
    const cellId = randomUUID()
    const cell = buildCell({ cellId, others: [makeMember({ memberId: 'member-1', role: 'member' })] })
    local.setItem(`cellule.roster-anchor.member-1.${cellId}`, JSON.stringify({ ...rosterPin(cell.getState()), conflictingHash: pin(0, 3).hash }))
    expect(await checkRoster({ cellId, links: cell.links.map(toBase64Url), userId: 'member-1' })).toMatchObject({ ok: false, source: 'roster', message: expect.stringMatching(/divergents/) })
  })

  it('the newcomer: the anchor kept when answering makes the genuine first roster anchored, and a fabricated one the alarm', async () => {
    const { session } = useStorages()
    const cellId = randomUUID()
    const newcomer = makeMember({ memberId: 'newcomer', role: 'member' })
    const genuine = buildCell({ cellId, others: [newcomer] })
    const anchor = { coordinatorSignPublicKey: genuine.founder.identity.signing.publicKey, newcomer: ownKeys(newcomer) }
    rememberNewcomerAnchor({ cellId, anchor })
    const fake = fabricatedRoster({ cellId, victim: newcomer })
    expect(await checkRoster({ cellId, links: fake.links, userId: 'newcomer' })).toMatchObject({ ok: false, source: 'roster', message: expect.stringMatching(/votre arrivée n’y est pas signée/) })

    // The alarm keeps the anchor: the next visit alarms again.
    expect(session.items.size).toBe(1)

    const fresh = useStorages()
    rememberNewcomerAnchor({ cellId, anchor })
    const check = await checkRoster({ cellId, links: genuine.links.map(toBase64Url), userId: 'newcomer' })
    expect(check).toMatchObject({ ok: true, anchor: 'newcomer' })
    // Matched once, it becomes this device's anchored pin.
    expect(fresh.session.items.size).toBe(0)
    expect(fresh.local.getItem(`cellule.roster-anchor.newcomer.${cellId}`)).not.toBeNull()
    if (check.ok) expect(() => assertRosterAnchored({ state: check.state, keys: unlocked(newcomer) })).not.toThrow()
  })
})
