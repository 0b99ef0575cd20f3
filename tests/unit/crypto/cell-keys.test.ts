import {
  createCellEpochKey,
  createCellIndexKey,
  createSituationKey,
  epochRecipients,
  executeRotationPlan,
  initCrypto,
  keyCommitment,
  openCellEpochKey,
  openCellEpochKeyWithRoster,
  openEarlierEpochKeys,
  openIntakeSecrets,
  openNominativeKey,
  openNote,
  openSituationKey,
  planRotation,
  rosterRecipient,
  sealCellEpochKey,
  sealNominativeKey,
  sealNote,
  wrapSituationKey,
  type MemberRole,
  type SituationKey,
} from '#crypto/index.ts'
import { CryptoError, CryptoVerificationError } from '#crypto/errors.ts'
import { sealedKeySchema } from '#crypto/sealed-key.ts'
import { sodium } from '#crypto/sodium.ts'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { author, boxOf, buildCell, expectCryptoError, makeMember, recipientOf } from './helpers.ts'

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

describe('cell epoch keys', () => {
  it('seals to a member, signed by the coordinator; refuses the DPO; binds recipient and signer', () => {
    const alice = makeMember({ memberId: 'alice', role: 'member' })
    const dpo = makeMember({ memberId: 'dpo', role: 'dpo' })
    const cell = buildCell({ cellId, others: [alice, dpo] })
    const { key, commitment } = createCellEpochKey()
    const wrap = sealCellEpochKey({ cellId, epoch: 0, cellKey: key, recipient: recipientOf(alice), coordinator: author(cell.founder) })
    const opened = openCellEpochKey({ wrap, cellId, epoch: 0, recipient: boxOf(alice), coordinatorId: 'founder', coordinatorSignPublicKey: cell.founder.identity.signing.publicKey, expectedCommitment: commitment })
    expect(opened).toEqual(key)
    expectCryptoError(() => sealCellEpochKey({ cellId, epoch: 0, cellKey: key, recipient: recipientOf(dpo), coordinator: author(cell.founder) }), 'recipient_not_allowed')
    expectCryptoError(() => openCellEpochKey({ wrap, cellId, epoch: 0, recipient: boxOf(alice), coordinatorId: 'founder', coordinatorSignPublicKey: alice.identity.signing.publicKey }), 'bad_signature')
    expectCryptoError(() => openCellEpochKey({ wrap, cellId, epoch: 1, recipient: boxOf(alice), coordinatorId: 'founder', coordinatorSignPublicKey: cell.founder.identity.signing.publicKey }), 'context_mismatch')
    expectCryptoError(() => openCellEpochKey({ wrap, cellId, epoch: 0, recipient: boxOf(alice), coordinatorId: 'founder', coordinatorSignPublicKey: cell.founder.identity.signing.publicKey, expectedCommitment: createCellEpochKey().commitment }), 'commitment_mismatch')
  })

  it('opens an epoch key only as the roster describes it: author, epoch and commitment', () => {
    const alice = makeMember({ memberId: 'alice', role: 'member' })
    const bruno = makeMember({ memberId: 'bruno', role: 'coordinator' })
    const cell = buildCell({ cellId, others: [alice, bruno] })
    const { key, commitment } = createCellEpochKey()
    cell.append({ by: cell.founder, payload: { type: 'rotate_epoch', epoch: 0, keyCommitment: commitment, recipientIds: epochRecipients(cell.getState()) } })
    const state = cell.getState()
    const wrap = sealCellEpochKey({ cellId, epoch: 0, cellKey: key, recipient: rosterRecipient({ state, memberId: 'alice' }), coordinator: author(cell.founder) })
    expect(openCellEpochKeyWithRoster({ wrap, state, epoch: 0, recipient: boxOf(alice) })).toEqual(key)
    // Another coordinator (or the server) distributing a different key for the same epoch is refused.
    const other = createCellEpochKey()
    const byBruno = sealCellEpochKey({ cellId, epoch: 0, cellKey: key, recipient: rosterRecipient({ state, memberId: 'alice' }), coordinator: author(bruno) })
    expectCryptoError(() => openCellEpochKeyWithRoster({ wrap: byBruno, state, epoch: 0, recipient: boxOf(alice) }), 'context_mismatch')
    const substituted = sealCellEpochKey({ cellId, epoch: 0, cellKey: other.key, recipient: rosterRecipient({ state, memberId: 'alice' }), coordinator: author(cell.founder) })
    expectCryptoError(() => openCellEpochKeyWithRoster({ wrap: substituted, state, epoch: 0, recipient: boxOf(alice) }), 'commitment_mismatch')
    expectCryptoError(() => openCellEpochKeyWithRoster({ wrap, state, epoch: 1, recipient: boxOf(alice) }), 'context_mismatch')
  })

  it('refuses to seal a nominative key to a DPO or an associate, whatever the situation (property)', () => {
    const signer = makeMember({ memberId: 'coord', role: 'coordinator' })
    fc.assert(
      fc.property(fc.constantFrom<MemberRole>('dpo', 'associate', 'member', 'coordinator'), fc.stringMatching(/^[a-z0-9]{1,10}$/), (role, situationId) => {
        const recipient = makeMember({ memberId: 'r', role })
        const seal = () => sealNominativeKey({ cellId, situationId, nominativeKey: createSituationKey({ layer: 'nominative', keyEpoch: 0 }), recipient: recipientOf(recipient), author: author(signer) })
        if (role === 'dpo' || role === 'associate') expectCryptoError(seal, 'recipient_not_allowed')
        else expect(seal().length).toBeGreaterThan(200)
      }),
      { numRuns: 40 },
    )
  })

  it('a member removed at epoch e opens no key of epoch e+1, even holding every wrap and a full dump (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<MemberRole>('member', 'coordinator', 'associate', 'dpo'), { minLength: 2, maxLength: 5 }),
        fc.integer({ min: 1, max: 3 }),
        fc.nat(),
        (roles, situationCount, pick) => {
          const others = roles.map((role, index) => makeMember({ memberId: `m${index}`, role }))
          const removable = others.filter((member) => member.role !== 'dpo')
          fc.pre(removable.length > 0)
          const removed = removable[pick % removable.length]!
          const cell = buildCell({ cellId, others })
          const everyone = [cell.founder, ...others]
          const coordinator = { id: 'founder', key: cell.founder.identity.signing.publicKey }

          // Epoch 0: CK sealed to every reader, SK under CK, nominative keys sealed to participants.
          const epoch0 = createCellEpochKey()
          cell.append({ by: cell.founder, payload: { type: 'rotate_epoch', epoch: 0, keyCommitment: epoch0.commitment, recipientIds: epochRecipients(cell.getState()) } })
          const state0 = cell.getState()
          const wraps0 = new Map(epochRecipients(state0).map((memberId) => [memberId, sealCellEpochKey({ cellId, epoch: 0, cellKey: epoch0.key, recipient: rosterRecipient({ state: state0, memberId }), coordinator: author(cell.founder) })]))
          const clinicians = everyone.filter((member) => member.role === 'member' || member.role === 'coordinator')
          const situations = Array.from({ length: situationCount }, (_, index) => {
            const situationId = `s${index}`
            const situationKey = createSituationKey({ layer: 'pseudonymised', keyEpoch: 0 })
            const nominativeKey = createSituationKey({ layer: 'nominative', keyEpoch: 0 })
            const participantIds = clinicians.filter((_, memberIndex) => (memberIndex + index) % 2 === 0 || clinicians[memberIndex] === removed).map((member) => member.memberId)
            const nominativeWraps = new Map(participantIds.map((memberId) => [memberId, sealNominativeKey({ cellId, situationId, nominativeKey, recipient: rosterRecipient({ state: state0, memberId }), author: author(cell.founder) })]))
            return { situationId, situationKey, nominativeKey, participantIds, nominativeWraps, wrapped: wrapSituationKey({ cellId, situationId, situationKey, cellKey: epoch0.key, cellEpoch: 0 }) }
          })

          // What the removed member holds at epoch 0.
          const removedCellKey = openCellEpochKey({ wrap: wraps0.get(removed.memberId)!, cellId, epoch: 0, recipient: boxOf(removed), coordinatorId: coordinator.id, coordinatorSignPublicKey: coordinator.key })
          const removedKeys: Uint8Array[] = [removedCellKey]
          for (const situation of situations) {
            removedKeys.push(openSituationKey({ cellId, situationId: situation.situationId, keyEpoch: 0, cellKey: removedCellKey, cellEpoch: 0, wrapped: situation.wrapped }).key)
            const own = situation.nominativeWraps.get(removed.memberId)
            if (own) removedKeys.push(openNominativeKey({ wrap: own, cellId, situationId: situation.situationId, keyEpoch: 0, recipient: boxOf(removed), authorId: coordinator.id, authorSignPublicKey: coordinator.key, expectedCommitment: keyCommitment(situation.nominativeKey.key) }).key)
          }

          // Removal and rotation, planned and executed on the coordinator's client.
          const plan = planRotation({
            state: cell.getState(),
            change: { type: 'remove_member', memberId: removed.memberId },
            situations: situations.map((situation) => ({ situationId: situation.situationId, keyEpoch: 0, nominativeKeyEpoch: 0, participantIds: situation.participantIds })),
          })
          const rotation = executeRotationPlan({ plan, state: cell.getState(), coordinator: author(cell.founder), previousCellKey: epoch0.key, cellIndexKey: createCellIndexKey(), createdAtMs: 2 })
          const state1 = rotation.state
          expect(state1.currentEpoch).toBe(1)
          expect(state1.rotationRequired).toBe(false)
          expect(rotation.epochWraps.has(removed.memberId)).toBe(false)

          // Every epoch-1 wrap in the dump, tried with the removed member's private key.
          const epoch1Attempts = [...rotation.epochWraps.entries()].map(([memberId, wrap]) => () =>
            openCellEpochKey({ wrap, cellId, epoch: 1, recipient: { memberId, box: removed.identity.box }, coordinatorId: coordinator.id, coordinatorSignPublicKey: coordinator.key }),
          )
          const nominative1Attempts = [...rotation.nominativeKeys.entries()].flatMap(([situationId, entry]) =>
            [...entry.wraps.entries()].map(([memberId, wrap]) => () =>
              openNominativeKey({ wrap, cellId, situationId, keyEpoch: 1, recipient: { memberId, box: removed.identity.box }, authorId: coordinator.id, authorSignPublicKey: coordinator.key, expectedCommitment: keyCommitment(entry.nominativeKey.key) }),
            ),
          )
          // Every symmetric blob of epoch 1, tried with every key the removed member ever held.
          const symmetricAttempts = removedKeys.flatMap((key) => [
            ...[...rotation.situationKeys.entries()].map(([situationId, entry]) => () => openSituationKey({ cellId, situationId, keyEpoch: 1, cellKey: key, cellEpoch: 1, wrapped: entry.wrapped })),
            () => openIntakeSecrets({ cellId, index: rotation.intake!.keys.index, cellKey: key, cellEpoch: 1, wrapped: rotation.intake!.wrapped }),
          ])
          // A note written after the rotation under the new situation key.
          const [firstSituationId, firstEntry] = [...rotation.situationKeys.entries()][0]!
          const provenance = { rosterSeq: state1.headSeq, rosterHeadHash: state1.headHash, cellEpoch: 1, situationLogSeq: 0, prevRevisionHash: new Uint8Array(32), createdAtMs: 3 }
          const note = sealNote({ context: { cellId, situationId: firstSituationId, noteId: 'after', revision: 1 }, provenance, layer: 'pseudonymised', author: author(cell.founder), situationKey: firstEntry.situationKey, body: new Uint8Array([42]) })
          const noteAttempts = removedKeys.map((key) => () =>
            openNote({ envelope: note, expected: { cellId, situationId: firstSituationId, noteId: 'after', revision: 1, layer: 'pseudonymised' }, situationKeys: [{ layer: 'pseudonymised', key, keyId: firstEntry.situationKey.keyId, keyEpoch: 1 } satisfies SituationKey] }),
          )
          // Below the library's checks too: the raw sealed boxes, opened with the removed member's key pair.
          const rawSealAttempts = [...rotation.epochWraps.values(), ...[...rotation.nominativeKeys.values()].flatMap((entry) => [...entry.wraps.values()])].map((wrap) => () => {
            try {
              return sodium.crypto_box_seal_open(sealedKeySchema.parse(wrap).sealed, removed.identity.box.publicKey, removed.identity.box.secretKey)
            } catch {
              throw new CryptoVerificationError({ code: 'decryption_failed', message: 'raw seal' })
            }
          })
          const attempts = [...epoch1Attempts, ...nominative1Attempts, ...symmetricAttempts, ...noteAttempts, ...rawSealAttempts]
          expect(attempts.length).toBeGreaterThan(removedKeys.length * 2)
          expect(tryAll(attempts)).toBe(0)

          // Remaining readers open epoch 1, match the roster commitment, walk back to epoch 0.
          for (const [memberId, wrap] of rotation.epochWraps) {
            const member = everyone.find((candidate) => candidate.memberId === memberId)!
            const key = openCellEpochKey({ wrap, cellId, epoch: 1, recipient: boxOf(member), coordinatorId: coordinator.id, coordinatorSignPublicKey: coordinator.key, expectedCommitment: state1.epochs.get(1)!.keyCommitment })
            const earlier = openEarlierEpochKeys({ cellId, epoch: 1, cellKey: key, chain: new Map([[1, rotation.chainedPrevious!]]), downToEpoch: 0 })
            expect(earlier.get(0)).toEqual(epoch0.key)
            expect(openSituationKey({ cellId, situationId: firstSituationId, keyEpoch: 1, cellKey: key, cellEpoch: 1, wrapped: firstEntry.wrapped }).keyId).toEqual(firstEntry.situationKey.keyId)
          }
        },
      ),
      { numRuns: 12 },
    )
  })
})
