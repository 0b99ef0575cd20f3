import { charterSigningMessage } from '#charter/hash.ts'
import { hexToBytes } from '#charter/hash.ts'
import { openCellEpochKeyWithRoster, openCellIndexKey, sealCellEpochKey, wrapCellIndexKey, createCellEpochKey } from '#crypto/cell-keys.ts'
import { createCellIndexKey } from '#crypto/blind-index.ts'
import { fromBase64Url, toBase64Url } from '#crypto/encoding.ts'
import { CryptoError } from '#crypto/errors.ts'
import { createIntakeKeys, encodeIntakePublic, intakePublicOf, wrapIntakeSecrets } from '#crypto/intake.ts'
import { answerInvitation, checkInvitationAnswer, type Invitation } from '#crypto/invitation.ts'
import { parseHumanCode } from '#crypto/human-code.ts'
import { sign } from '#crypto/primitives.ts'
import { type MemberKeys } from '#crypto/roster-links.ts'
import { checkRosterPin, createGenesisLink, createRosterLink, extendRoster, rosterCode, rosterPin, rosterRecipient, validateRoster, type RosterPin, type RosterState } from '#crypto/roster.ts'
import { planRotation, type RosterChange } from '#crypto/rotation.ts'
import { executeRotationPlan } from '#crypto/rotation-execute.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { type unlockedKeys } from '#app/auth/key-store.client.ts'
import { assertRosterAnchored, authoredLinks, newcomerAnchorMatches, ownEntryProblem, recordCheckedRoster, signedByMember, type RosterAnchor } from './roster-pins-anchor.ts'
import { comparePins } from './roster-pins.ts'
import { forgetNewcomerAnchor, publishAnchoredPin, readAnchorPin, readNewcomerAnchor, syncedPinFor, writeAnchorPin } from './roster-pins-sync.ts'
import { rosterPinSchema } from './schemas.ts'

/** Browser side of the cell: validate the roster, open keys, sign links. Nothing here talks to storage but the pins (roster-pins-sync.ts). */

export type UnlockedKeys = NonNullable<ReturnType<typeof unlockedKeys>>
export type KeyBlob = { kind: string; epoch: number; slot: string; blob: string }
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

/**
 * The pin this browser kept for the cell. An unreadable one is not « no pin »: treating it so would
 * switch the rollback and fork checks off, so it is reported and the caller raises the alarm.
 */
function readPin({ cellId, userId }: { cellId: string; userId: string }): StoredPin {
  let raw: string | null
  try {
    raw = window.localStorage.getItem(pinKey({ cellId, userId }))
  } catch {
    return { kind: 'unreadable', reason: 'le stockage local de ce navigateur est inaccessible' }
  }
  if (raw === null) return { kind: 'none' }
  let stored: unknown
  try {
    stored = JSON.parse(raw)
  } catch {
    return { kind: 'unreadable', reason: 'elle n’est pas du JSON' }
  }
  const parsed = rosterPinSchema.safeParse(stored)
  return parsed.success ? { kind: 'pinned', pin: parsed.data } : { kind: 'unreadable', reason: 'sa forme est inattendue' }
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

/** The cell key of the current epoch, from the envelope sealed to this member (checked against the roster). */
export function openCurrentCellKey({ state, blobs, keys }: { state: RosterState; blobs: KeyBlob[]; keys: UnlockedKeys }) {
  const epoch = state.currentEpoch
  const envelope = blobs.find(blob => blob.kind === 'cell_epoch_key' && blob.epoch === epoch && blob.slot === keys.userId)
  if (epoch === undefined || !envelope) throw new Error('Aucune clé de cellule ne vous est destinée pour l’époque en cours.')
  return { epoch, cellKey: openCellEpochKeyWithRoster({ wrap: envelope.blob, state, epoch, recipient: { memberId: keys.userId, box: keys.identity.box } }) }
}

/** Founding: genesis, epoch 0 for the founder, intake pair, charter version 1 and its signature. */
export async function prepareFounding({ cellId, keys, charterHash }: { cellId: string; keys: UnlockedKeys; charterHash: string }) {
  await initCrypto()
  const now = Date.now()
  const genesis = createGenesisLink({
    cellId,
    founder: { memberId: keys.userId, signPublicKey: keys.identity.signing.publicKey, signSecretKey: keys.identity.signing.secretKey, boxPublicKey: keys.identity.box.publicKey },
    createdAtMs: now,
  })
  let state = validateRoster({ cellId, links: [genesis] })
  const { key: cellKey, commitment } = createCellEpochKey()
  const rotate = createRosterLink({ state, author: me(keys), createdAtMs: now, payload: { type: 'rotate_epoch', epoch: 0, keyCommitment: commitment, recipientIds: [keys.userId] } })
  state = extendRoster({ state, links: [rotate] })
  const intake = createIntakeKeys({ cellId, index: 0 })
  const intakePublic = intakePublicOf(intake)
  const publish = createRosterLink({
    state,
    author: me(keys),
    createdAtMs: now,
    payload: { type: 'publish_intake_key', index: 0, boxPublicKey: intakePublic.boxPublicKey, signPublicKey: intakePublic.signPublicKey },
  })
  state = extendRoster({ state, links: [publish] })
  const charterLink = createRosterLink({ state, author: me(keys), createdAtMs: now, payload: { type: 'charter_version', version: 1, charterHash: hexToBytes(charterHash) } })
  const envelope = sealCellEpochKey({ cellId, epoch: 0, cellKey, recipient: rosterRecipient({ state, memberId: keys.userId }), coordinator: me(keys) })
  const indexKey = createCellIndexKey()
  const body = {
    links: [genesis, rotate, publish, charterLink].map(toBase64Url),
    cellKeyEnvelope: toBase64Url(envelope),
    intakePublic: toBase64Url(encodeIntakePublic(intakePublic)),
    intakeSecrets: toBase64Url(wrapIntakeSecrets({ keys: intake, cellKey, cellEpoch: 0 })),
    indexKey: toBase64Url(wrapCellIndexKey({ cellId, epoch: 0, cellKey, indexKey })),
    charterHash,
    charterSignature: signCharter({ cellId, version: 1, hash: charterHash, keys }),
  }
  cellKey.fill(0)
  indexKey.fill(0)
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

export type InvitationAnswer = { memberId: string; signPublicKey: string; boxPublicKey: string; proof: string }

/** Coordinator: checks the proof with the code they handed over, and returns the SAS to compare aloud. */
export function checkAnswer({ cellId, code, answer, keys }: { cellId: string; code: string; answer: InvitationAnswer; keys: UnlockedKeys }) {
  const invitation: Invitation = { cellId, secret: parseHumanCode(code), code }
  const newcomer: MemberKeys = { memberId: answer.memberId, signPublicKey: fromBase64Url(answer.signPublicKey), boxPublicKey: fromBase64Url(answer.boxPublicKey) }
  const { sas } = checkInvitationAnswer({ invitation, newcomer, coordinatorSignPublicKey: keys.identity.signing.publicKey, proof: answer.proof })
  return { sas, newcomer }
}

/** Coordinator, after the SAS matched: add_member (or key_change) and the current cell key sealed to the newcomer. */
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
  newcomer: MemberKeys
  role: 'coordinator' | 'member' | 'associate' | 'dpo'
  kind: 'member' | 'readmission'
}) {
  assertRosterAnchored({ state, keys })
  const payload = kind === 'readmission' ? ({ type: 'key_change', ...newcomer } as const) : ({ type: 'add_member', role, ...newcomer } as const)
  const link = createRosterLink({ state, author: me(keys), createdAtMs: Date.now(), payload })
  const next = extendRoster({ state, links: [link] })
  if (role === 'dpo') return { links: [toBase64Url(link)] }
  const { epoch, cellKey } = openCurrentCellKey({ state, blobs, keys })
  const envelope = sealCellEpochKey({ cellId: state.cellId, epoch, cellKey, recipient: rosterRecipient({ state: next, memberId: newcomer.memberId }), coordinator: me(keys) })
  cellKey.fill(0)
  return { links: [toBase64Url(link)], cellKeyEnvelope: toBase64Url(envelope) }
}

/** Removal or role change: the planner's operations run here; the server stores the results. */
export function prepareRotation({ state, blobs, keys, change }: { state: RosterState; blobs: KeyBlob[]; keys: UnlockedKeys; change: RosterChange }) {
  assertRosterAnchored({ state, keys })
  const plan = planRotation({ state, change, situations: [] })
  const current = openCurrentCellKey({ state, blobs, keys })
  const indexBlob = blobs.find(blob => blob.kind === 'cell_index_key' && blob.epoch === current.epoch)
  const cellIndexKey = indexBlob ? openCellIndexKey({ cellId: state.cellId, epoch: current.epoch, cellKey: current.cellKey, wrapped: indexBlob.blob }) : createCellIndexKey()
  const result = executeRotationPlan({ plan, state, coordinator: me(keys), previousCellKey: current.cellKey, cellIndexKey, createdAtMs: Date.now() })
  current.cellKey.fill(0)
  const body = {
    links: result.links.map(toBase64Url),
    epoch: result.cellEpoch ?? null,
    envelopes: Object.fromEntries([...result.epochWraps].map(([memberId, wrap]) => [memberId, toBase64Url(wrap)])),
    previousEpoch: result.chainedPrevious ? toBase64Url(result.chainedPrevious) : null,
    indexKey: result.wrappedIndexKey ? toBase64Url(result.wrappedIndexKey) : null,
    intake: result.intake && result.cellEpoch !== undefined
      ? { index: result.intake.keys.index, publicBundle: toBase64Url(encodeIntakePublic(intakePublicOf(result.intake.keys))), secrets: toBase64Url(result.intake.wrapped) }
      : null,
  }
  result.cellKey?.fill(0)
  return body
}

/** "J'atteste": a link saying this member compared the roster code at this head. */
export function prepareAttestation({ state, keys }: { state: RosterState; keys: UnlockedKeys }) {
  const link = createRosterLink({
    state,
    author: me(keys),
    createdAtMs: Date.now(),
    payload: { type: 'verification_attestation', attestedSeq: state.headSeq, attestedHash: state.headHash },
  })
  return { links: [toBase64Url(link)] }
}

/** The next charter version in the roster, and the coordinator's own signature of it. */
export function prepareCharterPublication({ state, keys, version, hash }: { state: RosterState; keys: UnlockedKeys; version: number; hash: string }) {
  const link = createRosterLink({ state, author: me(keys), createdAtMs: Date.now(), payload: { type: 'charter_version', version, charterHash: hexToBytes(hash) } })
  return { links: [toBase64Url(link)], signature: signCharter({ cellId: state.cellId, version, hash, keys }) }
}
