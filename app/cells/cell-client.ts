import { charterSigningMessage } from '#charter/hash.ts'
import { hexToBytes } from '#charter/hash.ts'
import { createCellEpochKey, openCellEpochKeyWithRoster, openRosterKey, sealRosterKey } from '#crypto/cell-keys.ts'
import { bytesEqual, fromBase64Url, toBase64Url } from '#crypto/encoding.ts'
import { CryptoError } from '#crypto/errors.ts'
import { INTAKE_VALIDITY_MS, createIntakeSeed, intakeKeysFromSeed, intakePublicOf, wipeIntakeKeys } from '#crypto/intake.ts'
import { answerInvitation, checkInvitationAnswer, type Invitation } from '#crypto/invitation.ts'
import { parseHumanCode } from '#crypto/human-code.ts'
import { sign } from '#crypto/primitives.ts'
import { signKeyChange, type MemberKeys } from '#crypto/roster-links.ts'
import { assertWritableEpoch, checkRosterPin, createGenesisLink, createRosterLink, extendRoster, rosterAnchor, rosterCode, rosterPin, rosterRecipient, validateRoster, type RosterPin, type RosterState } from '#crypto/roster.ts'
import { planRotation, type RosterChange } from '#crypto/rotation.ts'
import { executeRotationPlan, type CurrentKeys } from '#crypto/rotation-execute.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { type unlockedKeys } from '#app/auth/key-store.client.ts'
import { assertRosterAnchored, authoredLinks, newcomerAnchorMatches, ownEntryProblem, recordCheckedRoster, signedByMember, type RosterAnchor } from './roster-pins-anchor.ts'
import { comparePins } from './roster-pins.ts'
import { forgetNewcomerAnchor, publishAnchoredPin, readAnchorPin, readNewcomerAnchor, syncedPinFor, writeAnchorPin } from './roster-pins-sync.ts'
import { rosterPinSchema } from './schemas.ts'
import { readStoredJson } from './stored-json.ts'

/** Browser side of the cell: validate the roster, open keys, sign links. Nothing here talks to storage but the pins (roster-pins-sync.ts). */

export type UnlockedKeys = NonNullable<ReturnType<typeof unlockedKeys>>
export type KeyBlob = { kind: 'cell_epoch_key' | 'index_key' | 'intake_seed' | 'previous_epoch' | 'previous_index_key'; epoch: number; slot: string; blob: string }
export type RosterResponse = { cellId: string; links: string[]; blobs: KeyBlob[] }

/**
 * A failed check is an alarm: a roster that does not verify, or a pin this browser cannot read.
 * A passing one says how this device knows the roster is the real one (`anchor`, null: not
 * verified on this device yet) and whether the member's own entry was checked against unlocked keys.
 */
export type RosterCheck =
  | { ok: true; state: RosterState; code: string; anchor: RosterAnchor | null; ownKeysChecked: boolean; syncProblem: string | null }
  | { ok: false; source: 'roster' | 'pin'; message: string }

const pinKey = ({ cellId, userId }: { cellId: string; userId: string }) => `cellule.roster-pin.${userId}.${cellId}`

type StoredPin = { kind: 'none' } | { kind: 'pinned'; pin: RosterPin } | { kind: 'unreadable'; reason: string }

/** The pin this browser kept for the cell; an unreadable one is reported, never taken for « none ». */
function readPin({ cellId, userId }: { cellId: string; userId: string }): StoredPin {
  const stored = readStoredJson({ key: pinKey({ cellId, userId }), schema: rosterPinSchema })
  return stored.kind === 'read' ? { kind: 'pinned', pin: stored.value } : stored
}

/** Whether this browser has already seen (and pinned) a roster for the cell, or keeps a pin it cannot read. */
export function rosterPinState({ cellId, userId }: { cellId: string; userId: string }): StoredPin['kind'] {
  const seen = readPin({ cellId, userId }).kind
  const anchored = readAnchorPin({ cellId, userId }).kind
  if (seen === 'unreadable' || anchored === 'unreadable' || anchored === 'forked') return 'unreadable'
  return seen === 'pinned' || anchored === 'pinned' ? 'pinned' : 'none'
}

/**
 * Replays the roster from genesis and compares it with what this browser saw before (rollback,
 * fork) and with the last anchored head this account knows (this device's, or synced from another
 * when the keys are unlocked). Any failure is an alarm: the page must show no cell content. With
 * the keys, the member's own entry must carry their keys. An unreadable pin is left as it is, so
 * the alarm stays until someone looks at this browser. See decision 022.
 */
export async function checkRoster({ cellId, links, userId, keys }: { cellId: string; links: string[]; userId: string; keys?: UnlockedKeys | null }): Promise<RosterCheck> {
  await initCrypto()
  const stored = readPin({ cellId, userId })
  if (stored.kind === 'unreadable') {
    return { ok: false, source: 'pin', message: `la trace du registre déjà vu, gardée par ce navigateur, est illisible : ${stored.reason}` }
  }
  const anchored = readAnchorPin({ cellId, userId })
  if (anchored.kind === 'unreadable') {
    return { ok: false, source: 'pin', message: `la trace du registre vérifié, gardée par ce navigateur, est illisible : ${anchored.reason}` }
  }
  if (anchored.kind === 'forked') return { ok: false, source: 'roster', message: 'deux de vos appareils ont vu des registres divergents pour cette cellule' }
  const ownKeys = keys && keys.userId === userId ? keys : null
  let anchorPin = anchored.kind === 'pinned' ? anchored.pin : undefined
  let syncProblem: string | null = null
  let syncedPin: RosterPin | undefined
  if (ownKeys) {
    const synced = await syncedPinFor({ keys: ownKeys, cellId })
    if (synced.ok) syncedPin = synced.pin
    else syncProblem = `Repères de registre de votre compte indisponibles : ${synced.message}.`
    const comparison = comparePins(anchorPin, syncedPin)
    if (comparison.kind === 'fork') {
      if (anchorPin && syncedPin) writeAnchorPin({ cellId, userId, pin: anchorPin, conflictingHash: syncedPin.hash })
      return { ok: false, source: 'roster', message: 'le registre vu sur un autre de vos appareils diverge de celui vu sur cet appareil' }
    }
    if (comparison.kind === 'second') anchorPin = syncedPin
  }
  try {
    const state = validateRoster({ cellId, links, pin: stored.kind === 'pinned' ? stored.pin : undefined })
    if (anchorPin) checkRosterPin({ state, pin: anchorPin })
    const authored = authoredLinks({ cellId, links })
    const me = ownKeys ? { memberId: userId, signPublicKey: ownKeys.identity.signing.publicKey, boxPublicKey: ownKeys.identity.box.publicKey } : null
    const ownProblem = me ? ownEntryProblem({ state, me }) : null
    if (ownProblem) return { ok: false, source: 'roster', message: ownProblem }
    const newcomer = readNewcomerAnchor({ cellId, userId })
    if (newcomer && !newcomerAnchorMatches({ state, authored, anchor: newcomer })) {
      return { ok: false, source: 'roster', message: 'votre arrivée n’y est pas signée par la coordination dont vous avez vérifié le code' }
    }
    const anchor: RosterAnchor | null = anchorPin ? 'pin' : newcomer ? 'newcomer' : me && signedByMember({ authored, me }) ? 'own-signature' : null
    const head = rosterPin(state)
    window.localStorage.setItem(pinKey({ cellId, userId }), JSON.stringify(head))
    if (anchor) {
      writeAnchorPin({ cellId, userId, pin: head })
      if (newcomer) forgetNewcomerAnchor({ cellId, userId })
      if (ownKeys && !syncProblem && comparePins(head, syncedPin).kind === 'first') {
        const published = await publishAnchoredPin({ keys: ownKeys, cellId, pin: head })
        if (!published.ok) syncProblem = `Repères de registre de votre compte non enregistrés : ${published.message}.`
      }
    }
    recordCheckedRoster({ state, anchor, authored })
    return { ok: true, state, code: rosterCode(state), anchor, ownKeysChecked: me !== null, syncProblem }
  } catch (error) {
    return { ok: false, source: 'roster', message: error instanceof CryptoError ? error.message : 'Registre illisible.' }
  }
}

/** The library already groups the 12 digits by four for reading aloud; only normalise spacing. */
export function formatRosterCode(code: string): string {
  return code.replace(/\s+/g, ' ').trim()
}

export async function fetchRoster(cellId: string): Promise<RosterResponse> {
  const response = await fetch(`/api/cells/${cellId}/roster`, { credentials: 'same-origin' })
  if (!response.ok) throw new Error(((await response.json().catch(() => ({}))) as { error?: string }).error ?? 'Registre indisponible.')
  return (await response.json()) as RosterResponse
}

function me(keys: UnlockedKeys) {
  return { memberId: keys.userId, signSecretKey: keys.identity.signing.secretKey }
}

function recipientOf(keys: UnlockedKeys) {
  return { memberId: keys.userId, box: keys.identity.box }
}

function sealedBlob({ blobs, kind, epoch, userId }: { blobs: KeyBlob[]; kind: KeyBlob['kind']; epoch: number; userId: string }) {
  return blobs.find(blob => blob.kind === kind && blob.epoch === epoch && blob.slot === userId)
}

/** The cell key of the current epoch, from the envelope sealed to this member (checked against the roster). */
export function openCurrentCellKey({ state, blobs, keys }: { state: RosterState; blobs: KeyBlob[]; keys: UnlockedKeys }) {
  const epoch = state.currentEpoch
  const envelope = epoch === undefined ? undefined : sealedBlob({ blobs, kind: 'cell_epoch_key', epoch, userId: keys.userId })
  if (epoch === undefined || !envelope) throw new Error('Aucune clé de cellule ne vous est destinée pour l’époque en cours.')
  return { epoch, cellKey: openCellEpochKeyWithRoster({ wrap: envelope.blob, state, epoch, recipient: recipientOf(keys) }) }
}

/**
 * The keys this coordinator holds now, each checked against the roster: CK and IXK of the current
 * epoch and the current intake key (which signs its successor). Missing ones stay undefined; the
 * plan refuses to run if it needs one.
 */
export function openCurrentKeys({ state, blobs, keys }: { state: RosterState; blobs: KeyBlob[]; keys: UnlockedKeys }): CurrentKeys {
  const epoch = state.currentEpoch
  const open = (kind: 'cell_epoch' | 'index' | 'intake', storedKind: KeyBlob['kind'], at: number | undefined) => {
    const blob = at === undefined ? undefined : sealedBlob({ blobs, kind: storedKind, epoch: at, userId: keys.userId })
    return blob && at !== undefined ? openRosterKey({ kind, wrap: blob.blob, state, epoch: at, recipient: recipientOf(keys) }) : undefined
  }
  const intakeIndex = state.currentIntakeIndex
  const seed = open('intake', 'intake_seed', intakeIndex)
  const intake = seed && intakeIndex !== undefined
    ? intakeKeysFromSeed({ cellId: state.cellId, index: intakeIndex, notAfterMs: state.intakeKeys.get(intakeIndex)?.notAfterMs ?? 0, seed })
    : undefined
  seed?.fill(0)
  return { cellKey: open('cell_epoch', 'cell_epoch_key', epoch), indexKey: open('index', 'index_key', epoch), intake }
}

function wipeCurrentKeys(current: CurrentKeys) {
  current.cellKey?.fill(0)
  current.indexKey?.fill(0)
  if (current.intake) wipeIntakeKeys(current.intake)
}

/** Founding: genesis, epoch 0 (CK and IXK) and intake key 0 for the founder, charter version 1 and its signature. */
export async function prepareFounding({ cellId, keys, charterHash }: { cellId: string; keys: UnlockedKeys; charterHash: string }) {
  await initCrypto()
  const now = Date.now()
  const genesis = createGenesisLink({
    cellId,
    founder: { memberId: keys.userId, signPublicKey: keys.identity.signing.publicKey, signSecretKey: keys.identity.signing.secretKey, boxPublicKey: keys.identity.box.publicKey },
    createdAtMs: now,
  })
  let state = validateRoster({ cellId, links: [genesis] })
  const cell = createCellEpochKey()
  const index = createCellEpochKey()
  const rotate = createRosterLink({
    state,
    author: me(keys),
    createdAtMs: now,
    payload: { type: 'rotate_epoch', epoch: 0, keyCommitment: cell.commitment, recipientIds: [keys.userId], indexKeyCommitment: index.commitment, indexRecipientIds: [keys.userId] },
  })
  state = extendRoster({ state, links: [rotate] })
  const sealedAtRotation = rosterAnchor(state)
  const intakeSeed = createIntakeSeed()
  const intake = intakePublicOf(intakeKeysFromSeed({ cellId, index: 0, notAfterMs: now + INTAKE_VALIDITY_MS, seed: intakeSeed.seed }))
  const publish = createRosterLink({
    state,
    author: me(keys),
    createdAtMs: now,
    payload: {
      type: 'publish_intake_key',
      index: 0,
      boxPublicKey: intake.boxPublicKey,
      signPublicKey: intake.signPublicKey,
      notAfterMs: intake.notAfterMs,
      seedCommitment: intakeSeed.commitment,
      triageIds: [keys.userId],
      predecessorSignature: new Uint8Array(0),
    },
  })
  state = extendRoster({ state, links: [publish] })
  const sealedAtPublish = rosterAnchor(state)
  const charterLink = createRosterLink({ state, author: me(keys), createdAtMs: now, payload: { type: 'charter_version', version: 1, charterHash: hexToBytes(charterHash) } })
  const recipient = rosterRecipient({ state, memberId: keys.userId })
  const seal = (kind: 'cell_epoch' | 'index' | 'intake', key: Uint8Array, anchor: ReturnType<typeof rosterAnchor>) =>
    toBase64Url(sealRosterKey({ kind, cellId, epoch: 0, key, recipient, signer: me(keys), anchor }))
  const body = {
    links: [genesis, rotate, publish, charterLink].map(toBase64Url),
    sealed: [
      { kind: 'cell_epoch_key' as const, epoch: 0, slot: keys.userId, blob: seal('cell_epoch', cell.key, sealedAtRotation) },
      { kind: 'index_key' as const, epoch: 0, slot: keys.userId, blob: seal('index', index.key, sealedAtRotation) },
      { kind: 'intake_seed' as const, epoch: 0, slot: keys.userId, blob: seal('intake', intakeSeed.seed, sealedAtPublish) },
    ],
    charterHash,
    charterSignature: signCharter({ cellId, version: 1, hash: charterHash, keys }),
  }
  cell.key.fill(0)
  index.key.fill(0)
  intakeSeed.seed.fill(0)
  return body
}

export function signCharter({ cellId, version, hash, keys }: { cellId: string; version: number; hash: string; keys: UnlockedKeys }): string {
  return toBase64Url(sign({ message: charterSigningMessage({ cellId, version, hash }), secretKey: keys.identity.signing.secretKey }))
}

/** Newcomer: the proof sent with their keys and the SAS to read to the coordinator. */
export async function answerCellInvitation({ cellId, code, keys, coordinatorSignPublicKey }: { cellId: string; code: string; keys: UnlockedKeys; coordinatorSignPublicKey: Uint8Array }) {
  await initCrypto()
  const newcomer: MemberKeys = { memberId: keys.userId, signPublicKey: keys.identity.signing.publicKey, boxPublicKey: keys.identity.box.publicKey }
  return answerInvitation({ cellId, invitationCode: code, newcomer, coordinatorSignPublicKey })
}

/**
 * Re-admission after an account reset: the member's consent to the key_change, signed by their new
 * key over the keys the roster held for them (review §1e). Without it the coordinator cannot sign the change.
 */
export async function signReadmission({ cellId, keys, previous }: { cellId: string; keys: UnlockedKeys; previous: { signPublicKey: string; boxPublicKey: string } }): Promise<string> {
  await initCrypto()
  return toBase64Url(
    signKeyChange({
      cellId,
      keys: { memberId: keys.userId, signPublicKey: keys.identity.signing.publicKey, boxPublicKey: keys.identity.box.publicKey },
      previous: { signPublicKey: fromBase64Url(previous.signPublicKey), boxPublicKey: fromBase64Url(previous.boxPublicKey) },
      newSignSecretKey: keys.identity.signing.secretKey,
    }),
  )
}

export type InvitationAnswer = { memberId: string; signPublicKey: string; boxPublicKey: string; proof: string; keyChangeSignature?: string }
export type Newcomer = MemberKeys & { keyChangeSignature: Uint8Array | undefined }

/** Coordinator: checks the proof with the code they handed over, and returns the SAS to compare aloud. */
export function checkAnswer({ cellId, code, answer, keys }: { cellId: string; code: string; answer: InvitationAnswer; keys: UnlockedKeys }) {
  const invitation: Invitation = { cellId, secret: parseHumanCode(code), code }
  const memberKeys: MemberKeys = { memberId: answer.memberId, signPublicKey: fromBase64Url(answer.signPublicKey), boxPublicKey: fromBase64Url(answer.boxPublicKey) }
  const { sas } = checkInvitationAnswer({ invitation, newcomer: memberKeys, coordinatorSignPublicKey: keys.identity.signing.publicKey, proof: answer.proof })
  const newcomer: Newcomer = { ...memberKeys, keyChangeSignature: answer.keyChangeSignature ? fromBase64Url(answer.keyChangeSignature) : undefined }
  return { sas, newcomer }
}

/** What a roster change sends to the server: the links, the keys sealed to each member, the chains to earlier epochs. */
export type RosterChangeBody = {
  links: string[]
  epoch: number | null
  intakeIndex: number | null
  sealed: { kind: 'cell_epoch_key' | 'index_key' | 'intake_seed'; epoch: number; slot: string; blob: string }[]
  previousEpoch: string | null
  previousIndexKey: string | null
}

/**
 * Any roster change a coordinator makes (addition, removal, role, re-admission): the planner's
 * operations run here, on keys opened against the roster; the server stores the results. Sealing
 * the current epoch's keys to someone is a write: refused while a rotation is pending (review §2b).
 */
export function prepareRosterChange({ state, blobs, keys, change }: { state: RosterState; blobs: KeyBlob[]; keys: UnlockedKeys; change: RosterChange }): RosterChangeBody {
  // An unverified device seals nothing to anyone (review §1b).
  assertRosterAnchored({ state, keys })
  const plan = planRotation({ state, change, situations: [] })
  if (plan.newCellEpoch === undefined && state.currentEpoch !== undefined && plan.operations.some(operation => operation.type === 'seal_cell_epoch_key' || operation.type === 'seal_index_key')) {
    assertWritableEpoch({ state, epoch: state.currentEpoch })
  }
  const current = openCurrentKeys({ state, blobs, keys })
  try {
    const result = executeRotationPlan({ plan, state, coordinator: me(keys), current, createdAtMs: Date.now() })
    return {
      links: result.links.map(toBase64Url),
      epoch: result.cellEpoch ?? null,
      intakeIndex: result.intakeIndex ?? null,
      sealed: result.sealed.map(({ kind, epoch, slot, blob }) => ({ kind, epoch, slot, blob: toBase64Url(blob) })),
      previousEpoch: result.chainedPrevious ? toBase64Url(result.chainedPrevious) : null,
      previousIndexKey: result.chainedPreviousIndex ? toBase64Url(result.chainedPreviousIndex) : null,
    }
  } finally {
    wipeCurrentKeys(current)
  }
}

/** Coordinator, after the SAS matched: add_member (or a self-signed key_change for a re-admission) and the keys that go with it. */
export function prepareConfirmation({
  state,
  blobs,
  keys,
  newcomer,
  role,
  kind,
}: {
  state: RosterState
  blobs: KeyBlob[]
  keys: UnlockedKeys
  newcomer: Newcomer
  role: 'coordinator' | 'member' | 'associate' | 'dpo'
  kind: 'member' | 'readmission'
}): RosterChangeBody {
  const { memberId, signPublicKey, boxPublicKey } = newcomer
  if (kind === 'readmission') {
    if (!newcomer.keyChangeSignature) throw new Error('La personne réadmise n’a pas signé ses nouvelles clés : demandez-lui de saisir de nouveau son code.')
    return prepareRosterChange({ state, blobs, keys, change: { type: 'key_change', memberId, signPublicKey, boxPublicKey, selfSignature: newcomer.keyChangeSignature } })
  }
  return prepareRosterChange({ state, blobs, keys, change: { type: 'add_member', memberId, role, signPublicKey, boxPublicKey } })
}

/** Removal or role change. */
export function prepareRotation({ state, blobs, keys, change }: { state: RosterState; blobs: KeyBlob[]; keys: UnlockedKeys; change: Extract<RosterChange, { type: 'remove_member' | 'set_role' }> }): RosterChangeBody {
  return prepareRosterChange({ state, blobs, keys, change })
}

/**
 * "J'atteste": a link saying this member compared the roster code shown for `displayed` (the
 * security head the code was computed over, as the person saw it). `state` is the freshest
 * validated roster, on which the link is chained; if its security head moved since the display,
 * the person compared a code that is no longer current and must compare again.
 */
export function prepareAttestation({ state, displayed, keys }: { state: RosterState; displayed: { seq: number; hash: Uint8Array }; keys: UnlockedKeys }) {
  if (displayed.seq !== state.securityHeadSeq || !bytesEqual(displayed.hash, state.securityHeadHash)) {
    throw new StaleAttestationError(
      `Le registre a changé depuis l’affichage de ce code (état n° ${displayed.seq}, désormais n° ${state.securityHeadSeq}) : rechargez la page, comparez de nouveau le code lu en réunion, puis attestez.`,
    )
  }
  const link = createRosterLink({
    state,
    author: me(keys),
    createdAtMs: Date.now(),
    payload: { type: 'verification_attestation', attestedSeq: displayed.seq, attestedHash: displayed.hash },
  })
  return { links: [toBase64Url(link)] }
}

/** The code a person compared is no longer the roster's: nothing was signed. */
export class StaleAttestationError extends Error {
  override name = 'StaleAttestationError'
}

/** The next charter version in the roster, and the coordinator's own signature of it. */
export function prepareCharterPublication({ state, keys, version, hash }: { state: RosterState; keys: UnlockedKeys; version: number; hash: string }) {
  const link = createRosterLink({ state, author: me(keys), createdAtMs: Date.now(), payload: { type: 'charter_version', version, charterHash: hexToBytes(hash) } })
  return { links: [toBase64Url(link)], signature: signCharter({ cellId: state.cellId, version, hash, keys }) }
}
