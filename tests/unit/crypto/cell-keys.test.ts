import {
  assertIntakeAcceptsReferrals,
  blindIndexTags,
  createCellEpochKey,
  createSituationKey,
  followIntakeChain,
  initCrypto,
  keyCommitment,
  intakeFingerprint,
  intakeKeysFromSeed,
  openEarlierEpochKeys,
  openEarlierIndexKeys,
  openNominativeKey,
  openRosterKey,
  openSituationKey,
  rosterAnchor,
  rosterRecipient,
  sealNominativeKey,
  sealRosterKey,
  signKeyChange,
  type IntakePublic,
  type MemberRole,
} from '#crypto/index.ts'
import { CryptoError, CryptoVerificationError } from '#crypto/errors.ts'
import { encodeIntakePublic } from '#crypto/intake.ts'
import { sealedKeySchema } from '#crypto/sealed-key.ts'
import { sodium } from '#crypto/sodium.ts'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { author, boxOf, expectCryptoError, makeMember, recipientOf } from './helpers.ts'
import { T0, keyedCell } from './keyed-cell.ts'

beforeAll(async () => {
  await initCrypto()
})

const cellId = 'cell-1'

function tryAll(attempts: (() => unknown)[]): number {
  let opened = 0
  for (const attempt of attempts) {
    try {
      attempt()
      opened++
    } catch (error) {
      expect(error).toBeInstanceOf(CryptoError)
    }
  }
  return opened
}

function bundleOf(state: ReturnType<ReturnType<typeof keyedCell>['getState']>, index: number): IntakePublic {
  const intake = state.intakeKeys.get(index)!
  return { cellId: state.cellId, index, boxPublicKey: intake.boxPublicKey, signPublicKey: intake.signPublicKey, notAfterMs: intake.notAfterMs }
}

describe('cell keys delivered through the roster', () => {
  it('seals to a member and opens as the roster describes it; the DPO gets no content key', () => {
    const cell = keyedCell({ cellId })
    cell.add({ memberId: 'alice', role: 'member' })
    cell.add({ memberId: 'dpo', role: 'dpo' })
    expect(cell.open({ memberId: 'alice', kind: 'cell_epoch_key', epoch: 0 })).toEqual(cell.open({ memberId: 'founder', kind: 'cell_epoch_key', epoch: 0 }))
    expect(cell.sealed.filter((entry) => entry.slot === 'dpo')).toEqual([])
    const state = cell.getState()
    const key = cell.open({ memberId: 'founder', kind: 'cell_epoch_key', epoch: 0 })
    expectCryptoError(() => sealRosterKey({ kind: 'cell_epoch', cellId, epoch: 0, key, recipient: rosterRecipient({ state, memberId: 'dpo' }), signer: author(cell.founder), anchor: rosterAnchor(state) }), 'recipient_not_allowed')
    // A different key for the same epoch, even from the rotation's author, fails the roster's commitment.
    const substituted = sealRosterKey({ kind: 'cell_epoch', cellId, epoch: 0, key: createCellEpochKey().key, recipient: rosterRecipient({ state, memberId: 'alice' }), signer: author(cell.founder), anchor: rosterAnchor(state) })
    expectCryptoError(() => openRosterKey({ kind: 'cell_epoch', wrap: substituted, state, epoch: 0, recipient: boxOf(cell.people.get('alice')!) }), 'commitment_mismatch')
    expectCryptoError(() => openRosterKey({ kind: 'cell_epoch', wrap: substituted, state, epoch: 1, recipient: boxOf(cell.people.get('alice')!) }), 'context_mismatch')
  })

  it('PoC 1e: a newcomer confirmed by a second coordinator opens the cell and index keys', () => {
    const cell = keyedCell({ cellId })
    cell.add({ memberId: 'bruno', role: 'coordinator' })
    cell.add({ by: 'bruno', memberId: 'zoe', role: 'member' })
    expect(cell.open({ memberId: 'zoe', kind: 'cell_epoch_key', epoch: 0 })).toEqual(cell.open({ memberId: 'founder', kind: 'cell_epoch_key', epoch: 0 }))
    expect(cell.open({ memberId: 'zoe', kind: 'index_key', epoch: 0 })).toEqual(cell.open({ memberId: 'founder', kind: 'index_key', epoch: 0 }))
  })

  it('PoC 1e: a newcomer confirmed by a coordinator whose own keys changed opens the cell key', () => {
    const cell = keyedCell({ cellId })
    const bruno = cell.add({ memberId: 'bruno', role: 'coordinator' })
    const renewed = makeMember({ memberId: 'bruno', role: 'coordinator' })
    const keys = { memberId: 'bruno', signPublicKey: renewed.identity.signing.publicKey, boxPublicKey: renewed.identity.box.publicKey }
    const selfSignature = signKeyChange({ cellId, keys, previous: { signPublicKey: bruno.identity.signing.publicKey, boxPublicKey: bruno.identity.box.publicKey }, newSignSecretKey: renewed.identity.signing.secretKey })
    const rotation = cell.change({ by: 'founder', person: renewed, change: { type: 'key_change', ...keys, selfSignature } })
    expect(rotation.cellEpoch).toBe(1)
    expect(rotation.intakeIndex).toBe(2)
    cell.add({ by: 'bruno', memberId: 'zoe', role: 'member' })
    expect(cell.open({ memberId: 'zoe', kind: 'cell_epoch_key', epoch: 1 })).toEqual(cell.open({ memberId: 'founder', kind: 'cell_epoch_key', epoch: 1 }))
  })

  it('refuses a cell key sealed by someone the roster does not authorize for that recipient (never « any signer »)', () => {
    const cell = keyedCell({ cellId })
    cell.add({ memberId: 'bruno', role: 'coordinator' })
    cell.add({ memberId: 'alice', role: 'member' })
    const zoe = cell.add({ by: 'bruno', memberId: 'zoe', role: 'member' })
    const state = cell.getState()
    const key = cell.open({ memberId: 'alice', kind: 'cell_epoch_key', epoch: 0 })
    // Alice is no coordinator and gave zoe nothing: refused. The founder made epoch 0: accepted.
    for (const sealer of ['alice', 'founder']) {
      const wrap = sealRosterKey({ kind: 'cell_epoch', cellId, epoch: 0, key, recipient: rosterRecipient({ state, memberId: 'zoe' }), signer: author(cell.people.get(sealer)!), anchor: rosterAnchor(state) })
      if (sealer === 'alice') expectCryptoError(() => openRosterKey({ kind: 'cell_epoch', wrap, state, epoch: 0, recipient: boxOf(zoe) }), 'context_mismatch')
      else expect(openRosterKey({ kind: 'cell_epoch', wrap, state, epoch: 0, recipient: boxOf(zoe) })).toEqual(key)
    }
    // Bruno added zoe, not alice: his seal of the index key to alice is refused.
    const index = cell.open({ memberId: 'bruno', kind: 'index_key', epoch: 0 })
    const byBruno = sealRosterKey({ kind: 'index', cellId, epoch: 0, key: index, recipient: rosterRecipient({ state, memberId: 'alice' }), signer: author(cell.people.get('bruno')!), anchor: rosterAnchor(state) })
    expectCryptoError(() => openRosterKey({ kind: 'index', wrap: byBruno, state, epoch: 0, recipient: boxOf(cell.people.get('alice')!) }), 'context_mismatch')
  })

  it('a seal naming a roster head outside this chain is refused (a forked or frozen writer shows)', () => {
    const cell = keyedCell({ cellId })
    const alice = cell.add({ memberId: 'alice', role: 'member' })
    const state = cell.getState()
    const key = cell.open({ memberId: 'founder', kind: 'cell_epoch_key', epoch: 0 })
    const forked = sealRosterKey({ kind: 'cell_epoch', cellId, epoch: 0, key, recipient: rosterRecipient({ state, memberId: 'alice' }), signer: author(cell.founder), anchor: { rosterSeq: state.headSeq, rosterHeadHash: new Uint8Array(32).fill(9) } })
    expectCryptoError(() => openRosterKey({ kind: 'cell_epoch', wrap: forked, state, epoch: 0, recipient: boxOf(alice) }), 'context_mismatch')
    const future = sealRosterKey({ kind: 'cell_epoch', cellId, epoch: 0, key, recipient: rosterRecipient({ state, memberId: 'alice' }), signer: author(cell.founder), anchor: { rosterSeq: state.headSeq + 5, rosterHeadHash: state.headHash } })
    expectCryptoError(() => openRosterKey({ kind: 'cell_epoch', wrap: future, state, epoch: 0, recipient: boxOf(alice) }), 'context_mismatch')
  })

  it('refuses to seal a nominative key to a DPO or an associate, whatever the situation (property)', () => {
    const cell = keyedCell({ cellId })
    const anchor = rosterAnchor(cell.getState())
    fc.assert(
      fc.property(fc.constantFrom<MemberRole>('dpo', 'associate', 'member', 'coordinator'), fc.stringMatching(/^[a-z0-9]{1,10}$/), (role, situationId) => {
        const recipient = makeMember({ memberId: 'r', role })
        const seal = () => sealNominativeKey({ cellId, situationId, nominativeKey: createSituationKey({ layer: 'nominative', keyEpoch: 0 }), recipient: recipientOf(recipient), author: author(cell.founder), anchor })
        if (role === 'dpo' || role === 'associate') expectCryptoError(seal, 'recipient_not_allowed')
        else expect(seal().length).toBeGreaterThan(200)
      }),
      { numRuns: 40 },
    )
  })
})

describe('intake keys (review §7, PoC 7a)', () => {
  it('the intake seed goes to the triage set only: no associate or plain member holds it or can be sealed it', () => {
    const cell = keyedCell({ cellId })
    cell.add({ memberId: 'alice', role: 'member' })
    cell.add({ memberId: 'chloe', role: 'associate' })
    expect(cell.sealed.filter((entry) => entry.kind === 'intake_seed').map((entry) => entry.slot)).toEqual(['founder'])
    const state = cell.getState()
    const seed = cell.open({ memberId: 'founder', kind: 'intake_seed', epoch: 0 })
    for (const memberId of ['alice', 'chloe']) {
      expectCryptoError(() => sealRosterKey({ kind: 'intake', cellId, epoch: 0, key: seed, recipient: rosterRecipient({ state, memberId }), signer: author(cell.founder), anchor: rosterAnchor(state) }), 'recipient_not_allowed')
    }
    // The seed opened by the triage set gives exactly the published pair.
    const keys = intakeKeysFromSeed({ cellId, index: 0, notAfterMs: state.intakeKeys.get(0)!.notAfterMs, seed })
    expect(keys.box.publicKey).toEqual(state.intakeKeys.get(0)!.boxPublicKey)
    expect(keys.signing.publicKey).toEqual(state.intakeKeys.get(0)!.signPublicKey)
  })

  it('a change of the triage set publishes j+1, signed by j, and retires j; the server refuses a retired index', () => {
    const cell = keyedCell({ cellId })
    cell.add({ memberId: 'bruno', role: 'coordinator' })
    const state = cell.getState()
    expect(state.currentIntakeIndex).toBe(1)
    expect(state.intakeKeys.get(0)!.retiredAtSeq).toBeDefined()
    expect(state.intakeKeys.get(1)!.triageIds).toEqual(['bruno', 'founder'])
    expect(cell.open({ memberId: 'bruno', kind: 'intake_seed', epoch: 1 })).toEqual(cell.open({ memberId: 'founder', kind: 'intake_seed', epoch: 1 }))
    expectCryptoError(() => assertIntakeAcceptsReferrals({ state, index: 0, nowMs: T0 }), 'stale_epoch')
    expect(assertIntakeAcceptsReferrals({ state, index: 1, nowMs: T0 }).index).toBe(1)
    expectCryptoError(() => assertIntakeAcceptsReferrals({ state, index: 1, nowMs: state.intakeKeys.get(1)!.notAfterMs }), 'stale_epoch')

    // The removed coordinator never receives the next seed.
    cell.change({ by: 'founder', change: { type: 'remove_member', memberId: 'bruno' } })
    expect(cell.getState().currentIntakeIndex).toBe(2)
    expect(cell.sealed.filter((entry) => entry.kind === 'intake_seed' && entry.epoch === 2).map((entry) => entry.slot)).toEqual(['founder'])
    expect(() => cell.open({ memberId: 'bruno', kind: 'intake_seed', epoch: 2 })).toThrow()
  })

  it('a page opened from an old flyer follows the signed chain to the current key, never to a server-made one', () => {
    const cell = keyedCell({ cellId })
    cell.add({ memberId: 'bruno', role: 'coordinator' })
    cell.change({ by: 'founder', change: { type: 'remove_member', memberId: 'bruno' } })
    const state = cell.getState()
    const chain = [0, 1, 2].map((index) => ({ bundle: encodeIntakePublic(bundleOf(state, index)), predecessorSignature: state.intakeKeys.get(index)!.predecessorSignature }))
    const oldFlyer = intakeFingerprint(bundleOf(state, 0))
    expect(followIntakeChain({ fingerprint: oldFlyer, chain, nowMs: T0 }).index).toBe(2)
    expect(followIntakeChain({ fingerprint: intakeFingerprint(bundleOf(state, 2)), chain, nowMs: T0 })).toEqual(bundleOf(state, 2))
    // The server substitutes its own key as the newest: no valid signature from the predecessor.
    const serverKeys = intakeKeysFromSeed({ cellId, index: 3, notAfterMs: T0 + 1e12, seed: new Uint8Array(32).fill(7) })
    const forged = { bundle: encodeIntakePublic({ cellId, index: 3, boxPublicKey: serverKeys.box.publicKey, signPublicKey: serverKeys.signing.publicKey, notAfterMs: serverKeys.notAfterMs }), predecessorSignature: new Uint8Array(64) }
    expectCryptoError(() => followIntakeChain({ fingerprint: oldFlyer, chain: [...chain, forged], nowMs: T0 }), 'bad_signature')
    expectCryptoError(() => followIntakeChain({ fingerprint: 'AAAAAAAAAAAAAAAAAAAAAA', chain, nowMs: T0 }), 'context_mismatch')
    expectCryptoError(() => followIntakeChain({ fingerprint: oldFlyer, chain, nowMs: state.intakeKeys.get(2)!.notAfterMs + 1 }), 'stale_epoch')
  })
})

describe('blind-index keys, one per epoch (review §8)', () => {
  it('are sealed to nominative-capable members only, renewed at each epoch, and chained backwards', () => {
    const cell = keyedCell({ cellId })
    cell.add({ memberId: 'alice', role: 'member' })
    cell.add({ memberId: 'chloe', role: 'associate' })
    expect(cell.sealed.filter((entry) => entry.kind === 'index_key').map((entry) => entry.slot).sort()).toEqual(['alice', 'founder'])
    const index0 = cell.open({ memberId: 'alice', kind: 'index_key', epoch: 0 })
    const rotation = cell.change({ by: 'founder', change: { type: 'remove_member', memberId: 'alice' } })
    expect(rotation.cellEpoch).toBe(1)
    expect(cell.sealed.filter((entry) => entry.kind === 'index_key' && entry.epoch === 1).map((entry) => entry.slot)).toEqual(['founder'])
    const index1 = cell.open({ memberId: 'founder', kind: 'index_key', epoch: 1 })
    expect(index1).not.toEqual(index0)
    const keys = openEarlierIndexKeys({ cellId, epoch: 1, indexKey: index1, chain: new Map([[1, rotation.chainedPreviousIndex!]]) })
    expect(keys.get(0)).toEqual(index0)
    const tags = blindIndexTags({ indexKeys: keys, name: 'Hélène Dupont', birthDate: '1938-04-17' })
    expect(tags.map((tag) => tag.epoch)).toEqual([1, 0])
    expect(tags[0]!.tag).not.toBe(tags[1]!.tag)
    expect(blindIndexTags({ indexKeys: new Map([[0, index0]]), name: 'DUPONT hélène', birthDate: '1938-04-17' })[0]!.tag).toBe(tags[1]!.tag)
  })

  it('a member downgraded to associate keeps the cell key of the new epoch but gets no new index key', () => {
    const cell = keyedCell({ cellId })
    cell.add({ memberId: 'alice', role: 'member' })
    const rotation = cell.change({ by: 'founder', change: { type: 'set_role', memberId: 'alice', role: 'associate' } })
    expect(rotation.cellEpoch).toBe(1)
    expect(cell.open({ memberId: 'alice', kind: 'cell_epoch_key', epoch: 1 })).toEqual(cell.open({ memberId: 'founder', kind: 'cell_epoch_key', epoch: 1 }))
    expect(() => cell.open({ memberId: 'alice', kind: 'index_key', epoch: 1 })).toThrow()
  })

  it('an associate promoted to member receives the current index key from the coordinator who promoted them', () => {
    const cell = keyedCell({ cellId })
    cell.add({ memberId: 'bruno', role: 'coordinator' })
    cell.add({ memberId: 'chloe', role: 'associate' })
    const rotation = cell.change({ by: 'bruno', change: { type: 'set_role', memberId: 'chloe', role: 'member' } })
    expect(rotation.cellEpoch).toBeUndefined()
    expect(cell.open({ memberId: 'chloe', kind: 'index_key', epoch: 0 })).toEqual(cell.open({ memberId: 'founder', kind: 'index_key', epoch: 0 }))
  })
})

describe('removals', () => {
  it('removing a DPO completes without a rotation (PoC 1d)', () => {
    const cell = keyedCell({ cellId })
    cell.add({ memberId: 'dpo', role: 'dpo' })
    const result = cell.change({ by: 'founder', change: { type: 'remove_member', memberId: 'dpo' } })
    expect(result.cellEpoch).toBeUndefined()
    expect(result.links).toHaveLength(1)
    expect(cell.getState().rotationRequired).toBe(false)
  })

  it('a member removed at epoch e opens no key of epoch e+1, even holding every seal and a full dump (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<MemberRole>('member', 'coordinator', 'associate', 'dpo'), { minLength: 2, maxLength: 5 }),
        fc.integer({ min: 1, max: 3 }),
        fc.nat(),
        (roles, situationCount, pick) => {
          const cell = keyedCell({ cellId })
          const others = roles.map((role, index) => cell.add({ memberId: `m${index}`, role }))
          const removable = others.filter((member) => member.role !== 'dpo')
          fc.pre(removable.length > 0)
          const removed = removable[pick % removable.length]!
          const state0 = cell.getState()
          const cellKey0 = cell.open({ memberId: 'founder', kind: 'cell_epoch_key', epoch: 0 })
          const clinicians = [cell.founder, ...others].filter((member) => member.role === 'member' || member.role === 'coordinator')
          const situations = Array.from({ length: situationCount }, (_, index) => {
            const situationId = `s${index}`
            const participantIds = clinicians.filter((_, memberIndex) => (memberIndex + index) % 2 === 0 || clinicians[memberIndex] === removed).map((member) => member.memberId)
            return { situationId, keyEpoch: 0, nominativeKeyEpoch: 0, participantIds }
          })

          // Everything the removed member could open at epoch e.
          const removedKeys: Uint8Array[] = [cell.open({ memberId: removed.memberId, kind: 'cell_epoch_key', epoch: 0 })]
          for (const kind of ['index_key', 'intake_seed'] as const) {
            try {
              removedKeys.push(cell.open({ memberId: removed.memberId, kind, epoch: kind === 'intake_seed' ? state0.currentIntakeIndex! : 0 }))
            } catch {
              // Not every role holds these.
            }
          }
          expect(removedKeys[0]).toEqual(cellKey0)

          const before = cell.sealed.length
          const rotation = cell.change({ by: 'founder', change: { type: 'remove_member', memberId: removed.memberId }, situations })
          const state1 = cell.getState()
          expect(state1.currentEpoch).toBe(1)
          expect(state1.rotationRequired).toBe(false)
          expect(state1.intakeRotationRequired).toBe(false)
          const newSeals = cell.sealed.slice(before)
          expect(newSeals.some((entry) => entry.slot === removed.memberId)).toBe(false)

          // Every new seal in the dump, tried with the removed member's private key, as any addressee.
          const kindOf = { cell_epoch_key: 'cell_epoch', index_key: 'index', intake_seed: 'intake' } as const
          const sealAttempts = newSeals.map((entry) => () => openRosterKey({ kind: kindOf[entry.kind], wrap: entry.blob, state: state1, epoch: entry.epoch, recipient: { memberId: entry.slot, box: removed.identity.box } }))
          const nominativeAttempts = [...rotation.nominativeKeys.entries()].flatMap(([situationId, entry]) =>
            [...entry.wraps.entries()].map(([memberId, wrap]) => () => openNominativeKey({ wrap, cellId, situationId, keyEpoch: 1, recipient: { memberId, box: removed.identity.box }, authorId: 'founder', authorSignPublicKey: cell.founder.identity.signing.publicKey, expectedCommitment: keyCommitment(entry.nominativeKey.key) })),
          )
          const symmetricAttempts = removedKeys.flatMap((key) => [
            ...[...rotation.situationKeys.entries()].map(([situationId, entry]) => () => openSituationKey({ cellId, situationId, keyEpoch: 1, cellKey: key, cellEpoch: 1, wrapped: entry.wrapped })),
            ...(rotation.chainedPreviousIndex ? [() => openEarlierIndexKeys({ cellId, epoch: 1, indexKey: key, chain: new Map([[1, rotation.chainedPreviousIndex!]]) })] : []),
          ])
          const rawSealAttempts = [...newSeals.map((entry) => entry.blob), ...[...rotation.nominativeKeys.values()].flatMap((entry) => [...entry.wraps.values()])].map((wrap) => () => {
            try {
              return sodium.crypto_box_seal_open(sealedKeySchema.parse(wrap).sealed, removed.identity.box.publicKey, removed.identity.box.secretKey)
            } catch {
              throw new CryptoVerificationError({ code: 'decryption_failed', message: 'raw seal' })
            }
          })
          const attempts = [...sealAttempts, ...nominativeAttempts, ...symmetricAttempts, ...rawSealAttempts]
          expect(attempts.length).toBeGreaterThan(removedKeys.length)
          expect(tryAll(attempts)).toBe(0)

          // Remaining readers open epoch 1 and walk back to epoch 0.
          for (const entry of newSeals.filter((seal) => seal.kind === 'cell_epoch_key')) {
            const key = cell.open({ memberId: entry.slot, kind: 'cell_epoch_key', epoch: 1 })
            const earlier = openEarlierEpochKeys({ cellId, epoch: 1, cellKey: key, chain: new Map([[1, rotation.chainedPrevious!]]), downToEpoch: 0 })
            expect(earlier.get(0)).toEqual(cellKey0)
          }
        },
      ),
      { numRuns: 12 },
    )
  })
})
