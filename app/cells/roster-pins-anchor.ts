import { bytesEqual } from '#crypto/encoding.ts'
import { CryptoError } from '#crypto/errors.ts'
import { parseRosterLink } from '#crypto/roster-links.ts'
import { extendRoster, validateRoster, type RosterState } from '#crypto/roster.ts'

/**
 * Whether a validated roster is anchored on this device, i.e. tied to something the server cannot
 * make up (issue 13 item 5, decision 022), and whether the member's own entry carries their keys.
 * Pure: the caller says what it holds (pins, the newcomer's anchor, the unlocked keys).
 */

/**
 * How this device knows the roster is the real one: a pin one of the account's devices took on an
 * anchored roster (`pin`), the coordinator key the newcomer checked with the SAS (`newcomer`), or a
 * link this member signed with their current key (`own-signature`: a founder's genesis, an attestation).
 */
export type RosterAnchor = 'pin' | 'newcomer' | 'own-signature'

/** The member's own public keys, as the browser holds them (never as the roster says). */
export type OwnPublicKeys = { memberId: string; signPublicKey: Uint8Array; boxPublicKey: Uint8Array }

/** What the newcomer's browser kept when it answered the invitation: the SAS binds both. */
export type NewcomerAnchor = { coordinatorSignPublicKey: Uint8Array; newcomer: OwnPublicKeys }

/** Refusal to seal keys to others from a roster this device has not anchored. */
export class RosterAnchorError extends CryptoError {
  override name = 'RosterAnchorError'
}

export const UNANCHORED_MESSAGE =
  'Registre non vérifié sur cet appareil : votre navigateur ne transmet aucune clé à d’autres membres tant que le registre n’est pas vérifié. ' +
  'Comparez le code du registre lors de la prochaine réunion puis attestez-le, ou connectez-vous d’abord sur un appareil déjà utilisé pour cette cellule.'

type AuthoredLink = { seq: number; authorId: string; authorSignPublicKey: Uint8Array; payload: ReturnType<typeof parseRosterLink>['payload'] }

/**
 * Each link with the signing key its author had at that seq (what verified its signature). The
 * roster was validated already; this replays it once more, link by link.
 */
export function authoredLinks({ cellId, links }: { cellId: string; links: readonly (Uint8Array | string)[] }): AuthoredLink[] {
  const [genesis, ...rest] = links
  if (genesis === undefined) return []
  const first = parseRosterLink(genesis)
  let state = validateRoster({ cellId, links: [genesis] })
  const authored: AuthoredLink[] = []
  if (first.payload.type === 'genesis') authored.push({ seq: 0, authorId: first.authorId, authorSignPublicKey: first.payload.founder.signPublicKey, payload: first.payload })
  for (const link of rest) {
    const parsed = parseRosterLink(link)
    const author = state.members.get(parsed.authorId)
    if (author) authored.push({ seq: parsed.seq, authorId: parsed.authorId, authorSignPublicKey: author.signPublicKey, payload: parsed.payload })
    state = extendRoster({ state, links: [link] })
  }
  return authored
}

/** A link authored by this member and signed with their current key: the server cannot have made it. */
export function signedByMember({ authored, me }: { authored: readonly AuthoredLink[]; me: OwnPublicKeys }): boolean {
  return authored.some(link => link.authorId === me.memberId && bytesEqual(link.authorSignPublicKey, me.signPublicKey))
}

/**
 * The newcomer's first roster must hold the `add_member` (or `key_change`) of exactly the keys they
 * answered with, signed by a member whose key at that seq is the coordinator key the SAS checked,
 * and their entry must still carry those keys.
 */
export function newcomerAnchorMatches({ state, authored, anchor }: { state: RosterState; authored: readonly AuthoredLink[]; anchor: NewcomerAnchor }): boolean {
  const { newcomer, coordinatorSignPublicKey } = anchor
  const admitted = authored.some(
    link =>
      (link.payload.type === 'add_member' || link.payload.type === 'key_change') &&
      link.payload.memberId === newcomer.memberId &&
      bytesEqual(link.payload.signPublicKey, newcomer.signPublicKey) &&
      bytesEqual(link.payload.boxPublicKey, newcomer.boxPublicKey) &&
      bytesEqual(link.authorSignPublicKey, coordinatorSignPublicKey),
  )
  const entry = state.members.get(newcomer.memberId)
  return admitted && entry !== undefined && bytesEqual(entry.signPublicKey, newcomer.signPublicKey) && bytesEqual(entry.boxPublicKey, newcomer.boxPublicKey)
}

/**
 * The member's own entry, against the keys unlocked in this browser: missing, removed, or with
 * other keys is an alarm (a coordinator's or the server's key change the member did not make).
 * Returns the French reason, or null when the entry is theirs.
 */
export function ownEntryProblem({ state, me }: { state: RosterState; me: OwnPublicKeys }): string | null {
  const entry = state.members.get(me.memberId)
  if (!entry?.active) return 'votre propre entrée est absente du registre alors que vous êtes membre de la cellule'
  if (!bytesEqual(entry.signPublicKey, me.signPublicKey) || !bytesEqual(entry.boxPublicKey, me.boxPublicKey)) {
    return 'vos propres clés ont été remplacées dans le registre par d’autres clés que celles de votre compte'
  }
  return null
}

type CheckedRecord = { anchor: RosterAnchor | null; authored: readonly AuthoredLink[] }

/** Roster states this browser checked, with their anchor: sealing accepts only those. */
const checkedStates = new WeakMap<RosterState, CheckedRecord>()

export function recordCheckedRoster({ state, anchor, authored }: { state: RosterState } & CheckedRecord): void {
  checkedStates.set(state, { anchor, authored })
}

export function checkedAnchor(state: RosterState): RosterAnchor | null {
  return checkedStates.get(state)?.anchor ?? null
}

/**
 * Called before sealing any key to another member (confirmation, rotation): the state must come
 * from a roster check of this browser, carry the member's own keys, and be anchored. The keys at
 * hand count too: a roster checked before the keys were unlocked may hold a link signed by them.
 */
export function assertRosterAnchored({ state, keys }: { state: RosterState; keys: { userId: string; identity: { signing: { publicKey: Uint8Array }; box: { publicKey: Uint8Array } } } }): void {
  const record = checkedStates.get(state)
  if (!record) throw new RosterAnchorError(UNANCHORED_MESSAGE)
  const me: OwnPublicKeys = { memberId: keys.userId, signPublicKey: keys.identity.signing.publicKey, boxPublicKey: keys.identity.box.publicKey }
  const problem = ownEntryProblem({ state, me })
  if (problem) throw new RosterAnchorError(`Alerte de sécurité : ${problem}. Aucune clé n’a été transmise ; prévenez la coordination et le ou la DPO de la cellule.`)
  if (record.anchor || signedByMember({ authored: record.authored, me })) return
  throw new RosterAnchorError(UNANCHORED_MESSAGE)
}

/**
 * Validates a roster where no device pin exists (the demo seed, tests): it is recorded unanchored,
 * so sealing from it is allowed only to a member who signed one of its links with their current key.
 */
export function validateRosterForSealing({ cellId, links }: { cellId: string; links: readonly (Uint8Array | string)[] }): RosterState {
  const state = validateRoster({ cellId, links })
  recordCheckedRoster({ state, anchor: null, authored: authoredLinks({ cellId, links }) })
  return state
}
