import { ByteWriter, bytesEqual, fromBase64Url, toBase64Url } from './encoding.ts'
import { CryptoVerificationError } from './errors.ts'
import { digitsFromHash } from './human-code.ts'
import { verifyIntakeSuccessor, type IntakePublic } from './intake.ts'
import { domainHash, verifySignature } from './primitives.ts'
import {
  encodeRosterLink,
  genesisAnchor,
  parseRosterLink,
  rosterSignatureMessage,
  type ParsedRosterLink,
  type RosterLinkType,
  type RosterPayload,
  verifyKeyChange,
} from './roster-links.ts'
import {
  epochRecipients,
  indexRecipients,
  isNominativeRole,
  triageSet,
  type RosterGrant,
  type RosterMember,
  type RosterPin,
  type RosterState,
} from './roster-state.ts'

export * from './roster-state.ts'


/** Links only a coordinator may sign (DESIGN §7). */
const COORDINATOR_ONLY: ReadonlySet<RosterLinkType> = new Set([
  'add_member',
  'remove_member',
  'set_role',
  'rotate_epoch',
  'publish_intake_key',
  'key_change',
  'charter_version',
])

function invalid({ seq, message }: { seq: number; message: string }): CryptoVerificationError {
  return new CryptoVerificationError({ code: 'roster_invalid', message: `Registre invalide au maillon ${seq} : ${message}` })
}

function activeCoordinators(state: RosterState): number {
  let count = 0
  for (const member of state.members.values()) if (member.active && member.role === 'coordinator') count++
  return count
}


function sameIds(left: readonly string[], right: readonly string[]): boolean {
  return left.length === right.length && left.every((id, index) => id === right[index])
}

function cloneState(state: RosterState): RosterState {
  return structuredClone(state)
}

function applyGenesis({ state, link }: { state: RosterState; link: ParsedRosterLink }): void {
  if (link.payload.type !== 'genesis') throw invalid({ seq: link.seq, message: 'le premier maillon doit être la genèse' })
  if (link.seq !== 0 || !bytesEqual(link.prevHash, genesisAnchor(state.cellId))) {
    throw invalid({ seq: link.seq, message: 'genèse non liée à cette cellule' })
  }
  const { founder } = link.payload
  if (link.authorId !== founder.memberId) throw invalid({ seq: link.seq, message: 'genèse signée par un autre que le fondateur' })
  if (!verifySignature({ signature: link.signature, message: rosterSignatureMessage(link.signedBytes), publicKey: founder.signPublicKey })) {
    throw invalid({ seq: link.seq, message: 'signature de la genèse' })
  }
  state.members.set(founder.memberId, {
    memberId: founder.memberId,
    role: 'coordinator',
    signPublicKey: founder.signPublicKey,
    boxPublicKey: founder.boxPublicKey,
    signKeys: [{ publicKey: founder.signPublicKey, fromSeq: 0, untilSeq: undefined }],
    grants: [{ seq: 0, type: 'genesis', authorId: founder.memberId, authorSignPublicKey: founder.signPublicKey }],
    active: true,
    addedAtSeq: 0,
    removedAtSeq: undefined,
  })
}

function closeSigningKey({ member, seq }: { member: RosterMember; seq: number }): void {
  const current = member.signKeys.at(-1)
  if (current && current.untilSeq === undefined) current.untilSeq = seq - 1
}

function grant({ link, author, type }: { link: ParsedRosterLink; author: RosterMember; type: RosterGrant['type'] }): RosterGrant {
  return { seq: link.seq, type, authorId: author.memberId, authorSignPublicKey: author.signPublicKey }
}

function activeTarget({ state, seq, memberId }: { state: RosterState; seq: number; memberId: string }): RosterMember {
  const target = state.members.get(memberId)
  if (!target?.active) throw invalid({ seq, message: `membre ${memberId} absent ou retiré` })
  return target
}

function applyPayload({ state, link, author }: { state: RosterState; link: ParsedRosterLink; author: RosterMember }): void {
  const { payload, seq } = link
  switch (payload.type) {
    case 'genesis':
      throw invalid({ seq, message: 'seconde genèse' })
    case 'add_member': {
      if (state.members.get(payload.memberId)?.active) throw invalid({ seq, message: 'membre déjà présent' })
      const previous = state.members.get(payload.memberId)
      state.members.set(payload.memberId, {
        memberId: payload.memberId,
        role: payload.role,
        signPublicKey: payload.signPublicKey,
        boxPublicKey: payload.boxPublicKey,
        signKeys: [...(previous?.signKeys ?? []), { publicKey: payload.signPublicKey, fromSeq: seq, untilSeq: undefined }],
        grants: [...(previous?.grants ?? []), grant({ link, author, type: 'add_member' })],
        active: true,
        addedAtSeq: seq,
        removedAtSeq: undefined,
      })
      if (payload.role === 'coordinator') state.intakeRotationRequired = true
      return
    }
    case 'remove_member': {
      const target = activeTarget({ state, seq, memberId: payload.memberId })
      target.active = false
      target.removedAtSeq = seq
      closeSigningKey({ member: target, seq })
      if (activeCoordinators(state) === 0) throw invalid({ seq, message: 'plus aucun coordinateur' })
      // A DPO held no key: nothing to rotate (review §5, PoC 1d).
      if (target.role !== 'dpo') state.rotationRequired = true
      if (target.role === 'coordinator') state.intakeRotationRequired = true
      return
    }
    case 'set_role': {
      const target = activeTarget({ state, seq, memberId: payload.memberId })
      const before = target.role
      target.role = payload.role
      target.grants.push(grant({ link, author, type: 'set_role' }))
      if (activeCoordinators(state) === 0) throw invalid({ seq, message: 'plus aucun coordinateur' })
      // Losing the cell key, or nominative access (whose index key is per epoch), forces a new epoch.
      const losesCellKey = before !== 'dpo' && payload.role === 'dpo'
      const losesNominative = isNominativeRole(before) && !isNominativeRole(payload.role)
      if (losesCellKey || losesNominative) state.rotationRequired = true
      if ((before === 'coordinator') !== (payload.role === 'coordinator')) state.intakeRotationRequired = true
      return
    }
    case 'rotate_epoch': {
      const expectedEpoch = state.currentEpoch === undefined ? 0 : state.currentEpoch + 1
      if (payload.epoch !== expectedEpoch) throw invalid({ seq, message: `époque ${payload.epoch}, attendu ${expectedEpoch}` })
      if (!sameIds(payload.recipientIds, epochRecipients(state))) {
        throw invalid({ seq, message: 'destinataires de la clé différents des membres actifs' })
      }
      if (!sameIds(payload.indexRecipientIds, indexRecipients(state))) {
        throw invalid({ seq, message: 'destinataires de la clé d’index différents des membres à accès nominatif' })
      }
      state.epochs.set(payload.epoch, {
        epoch: payload.epoch,
        keyCommitment: payload.keyCommitment,
        recipientIds: payload.recipientIds,
        indexKeyCommitment: payload.indexKeyCommitment,
        indexRecipientIds: payload.indexRecipientIds,
        seq,
        authorId: author.memberId,
        authorSignPublicKey: author.signPublicKey,
      })
      state.currentEpoch = payload.epoch
      state.rotationRequired = false
      return
    }
    case 'publish_intake_key': {
      const expectedIndex = state.intakeKeys.size
      if (payload.index !== expectedIndex) throw invalid({ seq, message: `clé de saisine ${payload.index}, attendu ${expectedIndex}` })
      if (!sameIds(payload.triageIds, triageSet(state))) throw invalid({ seq, message: 'clé de saisine remise à d’autres que la coordination' })
      if (payload.notAfterMs <= link.createdAtMs) throw invalid({ seq, message: 'clé de saisine déjà expirée' })
      const bundle: IntakePublic = { cellId: state.cellId, index: payload.index, boxPublicKey: payload.boxPublicKey, signPublicKey: payload.signPublicKey, notAfterMs: payload.notAfterMs }
      const previous = state.currentIntakeIndex === undefined ? undefined : state.intakeKeys.get(state.currentIntakeIndex)
      if (previous) {
        const predecessor: IntakePublic = { cellId: state.cellId, index: previous.index, boxPublicKey: previous.boxPublicKey, signPublicKey: previous.signPublicKey, notAfterMs: previous.notAfterMs }
        if (!verifyIntakeSuccessor({ predecessor, successor: bundle, signature: payload.predecessorSignature })) {
          throw invalid({ seq, message: 'clé de saisine non signée par la précédente' })
        }
        previous.retiredAtSeq = seq
      } else if (payload.predecessorSignature.length !== 0) {
        throw invalid({ seq, message: 'première clé de saisine avec une signature de prédécesseur' })
      }
      state.intakeKeys.set(payload.index, {
        ...bundle,
        seedCommitment: payload.seedCommitment,
        triageIds: payload.triageIds,
        predecessorSignature: payload.predecessorSignature,
        seq,
        authorId: author.memberId,
        authorSignPublicKey: author.signPublicKey,
        retiredAtSeq: undefined,
      })
      state.currentIntakeIndex = payload.index
      state.intakeRotationRequired = false
      return
    }
    case 'key_change': {
      const target = activeTarget({ state, seq, memberId: payload.memberId })
      const previous = { signPublicKey: target.signPublicKey, boxPublicKey: target.boxPublicKey }
      if (!verifyKeyChange({ cellId: state.cellId, keys: payload, previous, selfSignature: payload.selfSignature })) {
        throw invalid({ seq, message: 'changement de clés sans la signature des nouvelles clés du membre' })
      }
      target.signPublicKey = payload.signPublicKey
      target.boxPublicKey = payload.boxPublicKey
      closeSigningKey({ member: target, seq })
      target.signKeys.push({ publicKey: payload.signPublicKey, fromSeq: seq, untilSeq: undefined })
      target.grants.push(grant({ link, author, type: 'key_change' }))
      // The old box key may be compromised: every key sealed to it is replaced (review §1e).
      if (target.role !== 'dpo') state.rotationRequired = true
      if (target.role === 'coordinator') state.intakeRotationRequired = true
      return
    }
    case 'verification_attestation': {
      const attested = state.linkHashes[payload.attestedSeq]
      if (!attested || !bytesEqual(attested, payload.attestedHash)) throw invalid({ seq, message: 'attestation d’un état inconnu' })
      // Only the security head is what the code read aloud covered: an older state, or an attestation link, is not.
      if (payload.attestedSeq !== state.securityHeadSeq) {
        throw invalid({ seq, message: `attestation de l’état n° ${payload.attestedSeq}, alors que l’état en vigueur est le n° ${state.securityHeadSeq}` })
      }
      state.attestedSecurityHeadSeq = payload.attestedSeq
      return
    }
    case 'charter_version': {
      if (state.charter && payload.version <= state.charter.version) throw invalid({ seq, message: 'version de charte non croissante' })
      state.charter = { version: payload.version, charterHash: payload.charterHash }
      return
    }
    default: {
      const unreachable: never = payload
      throw invalid({ seq, message: `type inconnu ${JSON.stringify(unreachable)}` })
    }
  }
}

function applyLink({ state, link }: { state: RosterState; link: ParsedRosterLink }): void {
  if (link.cellId !== state.cellId) throw invalid({ seq: link.seq, message: 'autre cellule' })
  if (state.headSeq < 0) {
    applyGenesis({ state, link })
  } else {
    if (link.seq !== state.headSeq + 1) throw invalid({ seq: link.seq, message: `numéro ${link.seq}, attendu ${state.headSeq + 1}` })
    if (!bytesEqual(link.prevHash, state.headHash)) throw invalid({ seq: link.seq, message: 'chaînage rompu' })
    const author = state.members.get(link.authorId)
    if (!author?.active) throw invalid({ seq: link.seq, message: `auteur ${link.authorId} inconnu ou retiré` })
    if (!verifySignature({ signature: link.signature, message: rosterSignatureMessage(link.signedBytes), publicKey: author.signPublicKey })) {
      throw invalid({ seq: link.seq, message: 'signature' })
    }
    if (COORDINATOR_ONLY.has(link.payload.type) && author.role !== 'coordinator') {
      throw invalid({ seq: link.seq, message: `${link.payload.type} réservé aux coordinateurs` })
    }
    if (author.role === 'dpo' && link.payload.type !== 'verification_attestation') {
      throw invalid({ seq: link.seq, message: 'le DPO ne peut qu’attester' })
    }
    applyPayload({ state, link, author })
  }
  state.headSeq = link.seq
  state.headHash = link.hash
  state.linkHashes.push(link.hash)
  recordSecurityHead({ state, link })
}

/** Security head and key establishments, kept apart from the per-type rules above. */
function recordSecurityHead({ state, link }: { state: RosterState; link: ParsedRosterLink }): void {
  const { payload } = link
  if (payload.type === 'verification_attestation') return
  state.securityHeadSeq = link.seq
  state.securityHeadHash = link.hash
  if (payload.type === 'genesis') state.keyEstablishments.push({ seq: link.seq, type: 'genesis', memberId: payload.founder.memberId })
  if (payload.type === 'add_member' || payload.type === 'key_change') state.keyEstablishments.push({ seq: link.seq, type: payload.type, memberId: payload.memberId })
}

function emptyState(cellId: string): RosterState {
  return {
    cellId,
    headSeq: -1,
    headHash: new Uint8Array(32),
    linkHashes: [],
    members: new Map(),
    epochs: new Map(),
    currentEpoch: undefined,
    rotationRequired: false,
    intakeKeys: new Map(),
    currentIntakeIndex: undefined,
    intakeRotationRequired: false,
    charter: undefined,
    securityHeadSeq: -1,
    securityHeadHash: new Uint8Array(32),
    keyEstablishments: [],
    attestedSecurityHeadSeq: -1,
  }
}

/** Appends links to an already validated state (which is not modified). */
export function extendRoster({ state, links }: { state: RosterState; links: readonly (Uint8Array | string)[] }): RosterState {
  const next = cloneState(state)
  for (const link of links) applyLink({ state: next, link: parseRosterLink(link) })
  return next
}

/**
 * Replays the whole chain from genesis; with a pin, also refuses a shorter chain
 * (rollback) or one that disagrees with what this client saw before (fork).
 */
export function validateRoster({
  cellId,
  links,
  pin,
}: {
  cellId: string
  links: readonly (Uint8Array | string)[]
  pin?: RosterPin
}): RosterState {
  if (links.length === 0) throw invalid({ seq: 0, message: 'registre vide' })
  const state = extendRoster({ state: emptyState(cellId), links })
  if (pin) checkRosterPin({ state, pin })
  return state
}

export function rosterPin(state: RosterState): RosterPin {
  return { seq: state.headSeq, hash: toBase64Url(state.headHash) }
}

export function checkRosterPin({ state, pin }: { state: RosterState; pin: RosterPin }): RosterPin {
  if (pin.seq > state.headSeq) {
    throw new CryptoVerificationError({
      code: 'roster_rollback',
      message: `Le serveur présente un registre plus ancien (${state.headSeq}) que celui déjà vu (${pin.seq}).`,
    })
  }
  const seen = state.linkHashes[pin.seq]
  if (!seen || !bytesEqual(seen, fromBase64Url(pin.hash))) {
    throw new CryptoVerificationError({ code: 'roster_fork', message: 'Le registre présenté diverge de celui déjà vu.' })
  }
  return rosterPin(state)
}

/**
 * 12 digits the chair reads aloud: one comparison authenticates every key in the roster. Computed
 * over the security head, so the attestations that follow the reading do not change it; through
 * the chained hash it still commits to every link (attestations included) up to that head.
 */
export function rosterCode(state: RosterState): string {
  const hash = domainHash({
    domain: 'cellule/roster-code/v2',
    parts: [new ByteWriter().string(state.cellId).u32(state.securityHeadSeq).bytes(state.securityHeadHash).finish()],
  })
  return digitsFromHash({ hash, digits: 12 })
}

export function createGenesisLink({
  cellId,
  founder,
  createdAtMs,
}: {
  cellId: string
  founder: { memberId: string; signPublicKey: Uint8Array; signSecretKey: Uint8Array; boxPublicKey: Uint8Array }
  createdAtMs: number
}): Uint8Array {
  return encodeRosterLink({
    link: {
      seq: 0,
      prevHash: genesisAnchor(cellId),
      cellId,
      authorId: founder.memberId,
      createdAtMs,
      payload: {
        type: 'genesis',
        founder: { memberId: founder.memberId, signPublicKey: founder.signPublicKey, boxPublicKey: founder.boxPublicKey },
      },
    },
    authorSignSecretKey: founder.signSecretKey,
  })
}

/** Signs the next link on top of `state`; the caller then validates it like any other. */
export function createRosterLink({
  state,
  author,
  payload,
  createdAtMs,
}: {
  state: RosterState
  author: { memberId: string; signSecretKey: Uint8Array }
  payload: RosterPayload
  createdAtMs: number
}): Uint8Array {
  return encodeRosterLink({
    link: { seq: state.headSeq + 1, prevHash: state.headHash, cellId: state.cellId, authorId: author.memberId, createdAtMs, payload },
    authorSignSecretKey: author.signSecretKey,
  })
}
