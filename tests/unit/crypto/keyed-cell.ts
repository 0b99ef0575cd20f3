import {
  createCellEpochKey,
  createGenesisLink,
  createIntakeSeed,
  createRosterLink,
  executeRotationPlan,
  extendRoster,
  intakeKeysFromSeed,
  openRosterKey,
  planRotation,
  rosterAnchor,
  rosterRecipient,
  sealRosterKey,
  validateRoster,
  type CurrentKeys,
  type RosterChange,
  type RosterKeyKind,
  type RosterState,
  type RotationResult,
  type SealedRosterKey,
  type SituationAccess,
} from '#crypto/index.ts'
import { author, boxOf, makeMember, type TestMember } from './helpers.ts'

export const T0 = 1_700_000_000_000
const YEAR = 365 * 24 * 3_600_000

const KIND_OF: Record<SealedRosterKey['kind'], RosterKeyKind> = { cell_epoch_key: 'cell_epoch', index_key: 'index', intake_seed: 'intake' }

/**
 * A founded cell whose keys are really made, sealed and opened, as the browsers do: genesis,
 * epoch 0 and intake key 0 for the founder, then every change through the planner and executor.
 * `sealed` is what the server would store (every seal, to everyone).
 */
export function keyedCell({ cellId }: { cellId: string }) {
  const founder = makeMember({ memberId: 'founder', role: 'coordinator' })
  const people = new Map<string, TestMember>([['founder', founder]])
  const genesis = createGenesisLink({
    cellId,
    founder: { memberId: 'founder', signPublicKey: founder.identity.signing.publicKey, signSecretKey: founder.identity.signing.secretKey, boxPublicKey: founder.identity.box.publicKey },
    createdAtMs: T0,
  })
  let state = validateRoster({ cellId, links: [genesis] })
  const links: Uint8Array[] = [genesis]
  const sealed: SealedRosterKey[] = []
  const cell = createCellEpochKey()
  const index = createCellEpochKey()
  const rotate = createRosterLink({
    state,
    author: author(founder),
    createdAtMs: T0,
    payload: { type: 'rotate_epoch', epoch: 0, keyCommitment: cell.commitment, recipientIds: ['founder'], indexKeyCommitment: index.commitment, indexRecipientIds: ['founder'] },
  })
  state = extendRoster({ state, links: [rotate] })
  links.push(rotate)
  const recipient = () => rosterRecipient({ state, memberId: 'founder' })
  sealed.push(
    { kind: 'cell_epoch_key', epoch: 0, slot: 'founder', blob: sealRosterKey({ kind: 'cell_epoch', cellId, epoch: 0, key: cell.key, recipient: recipient(), signer: author(founder), anchor: rosterAnchor(state) }) },
    { kind: 'index_key', epoch: 0, slot: 'founder', blob: sealRosterKey({ kind: 'index', cellId, epoch: 0, key: index.key, recipient: recipient(), signer: author(founder), anchor: rosterAnchor(state) }) },
  )
  const seed = createIntakeSeed()
  const intake0 = intakeKeysFromSeed({ cellId, index: 0, notAfterMs: T0 + YEAR, seed: seed.seed })
  const publish = createRosterLink({
    state,
    author: author(founder),
    createdAtMs: T0,
    payload: {
      type: 'publish_intake_key',
      index: 0,
      boxPublicKey: intake0.box.publicKey,
      signPublicKey: intake0.signing.publicKey,
      notAfterMs: intake0.notAfterMs,
      seedCommitment: seed.commitment,
      triageIds: ['founder'],
      predecessorSignature: new Uint8Array(0),
    },
  })
  state = extendRoster({ state, links: [publish] })
  links.push(publish)
  sealed.push({ kind: 'intake_seed', epoch: 0, slot: 'founder', blob: sealRosterKey({ kind: 'intake', cellId, epoch: 0, key: seed.seed, recipient: recipient(), signer: author(founder), anchor: rosterAnchor(state) }) })

  /** Opens, as `memberId`, the key of `kind` at `epoch` from the seal addressed to them. */
  const open = ({ memberId, kind, epoch, as = state }: { memberId: string; kind: SealedRosterKey['kind']; epoch: number; as?: RosterState }): Uint8Array => {
    const blob = sealed.filter((entry) => entry.kind === kind && entry.epoch === epoch && entry.slot === memberId).at(-1)
    const member = people.get(memberId)
    if (!blob || !member) throw new Error(`no ${kind}[${epoch}] for ${memberId}`)
    return openRosterKey({ kind: KIND_OF[kind], wrap: blob.blob, state: as, epoch, recipient: boxOf(member) })
  }

  const currentKeysOf = (memberId: string): CurrentKeys => {
    const tryOpen = (kind: SealedRosterKey['kind'], epoch: number | undefined) => {
      if (epoch === undefined) return undefined
      try {
        return open({ memberId, kind, epoch })
      } catch {
        return undefined
      }
    }
    const intakeIndex = state.currentIntakeIndex
    const intakeSeed = tryOpen('intake_seed', intakeIndex)
    return {
      cellKey: tryOpen('cell_epoch_key', state.currentEpoch),
      indexKey: tryOpen('index_key', state.currentEpoch),
      intake: intakeSeed && intakeIndex !== undefined ? intakeKeysFromSeed({ cellId, index: intakeIndex, notAfterMs: state.intakeKeys.get(intakeIndex)!.notAfterMs, seed: intakeSeed }) : undefined,
    }
  }

  /** A coordinator's change, planned, executed with the keys they hold, and stored. */
  const change = ({ by, change: next, situations = [], person }: { by: string; change: RosterChange; situations?: SituationAccess[]; person?: TestMember }): RotationResult => {
    const coordinator = people.get(by)!
    if (person) people.set(person.memberId, person)
    const plan = planRotation({ state, change: next, situations })
    const result = executeRotationPlan({ plan, state, coordinator: author(coordinator), current: currentKeysOf(by), createdAtMs: T0 + links.length })
    state = result.state
    links.push(...result.links)
    sealed.push(...result.sealed)
    return result
  }

  const add = ({ by = 'founder', memberId, role }: { by?: string; memberId: string; role: TestMember['role'] }): TestMember => {
    const person = makeMember({ memberId, role })
    change({ by, person, change: { type: 'add_member', memberId, role, signPublicKey: person.identity.signing.publicKey, boxPublicKey: person.identity.box.publicKey } })
    return person
  }

  return { cellId, founder, people, links, sealed, getState: () => state, open, currentKeysOf, change, add, intake0 }
}
