import { fromBase64Url, toBase64Url } from '#crypto/encoding.ts'
import { CryptoFormatError, CryptoVerificationError } from '#crypto/errors.ts'
import { type RosterPin } from '#crypto/roster.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { type NewcomerAnchor } from './roster-pins-anchor.ts'
import { comparePins, mergePinSets, openRosterPins, sealRosterPins, type PinSet } from './roster-pins.ts'
import { newcomerAnchorSchema, rosterAnchorPinSchema, rosterPinsResponseSchema } from './schemas.ts'
import { readStoredJson } from './stored-json.ts'

/**
 * The browser's side of the anchored pins (decision 022): one localStorage record per user and
 * cell for the last anchored head, the newcomer's anchor in sessionStorage, and the account's
 * synced blob behind /api/account/roster-pins. Nothing here decides what is anchored: checkRoster does.
 */

export type AccountKeys = { userId: string; accountKey: Uint8Array }

const ENDPOINT = '/api/account/roster-pins'
const ANCHOR_PREFIX = 'cellule.roster-anchor.'
const anchorKey = ({ cellId, userId }: { cellId: string; userId: string }) => `${ANCHOR_PREFIX}${userId}.${cellId}`
const newcomerKey = ({ cellId, userId }: { cellId: string; userId: string }) => `cellule.newcomer-anchor.${userId}.${cellId}`

export type StoredAnchorPin =
  | { kind: 'none' }
  | { kind: 'pinned'; pin: RosterPin }
  | { kind: 'forked'; pin: RosterPin }
  | { kind: 'unreadable'; reason: string }

/** Like the seen pin, an anchored pin that cannot be read is reported, never taken for « none ». */
export function readAnchorPin({ cellId, userId }: { cellId: string; userId: string }): StoredAnchorPin {
  const stored = readStoredJson({ key: anchorKey({ cellId, userId }), schema: rosterAnchorPinSchema })
  if (stored.kind !== 'read') return stored
  const pin = { seq: stored.value.seq, hash: stored.value.hash }
  return stored.value.conflictingHash ? { kind: 'forked', pin } : { kind: 'pinned', pin }
}

export function writeAnchorPin({ cellId, userId, pin, conflictingHash }: { cellId: string; userId: string; pin: RosterPin; conflictingHash?: string }): void {
  window.localStorage.setItem(anchorKey({ cellId, userId }), JSON.stringify(conflictingHash ? { ...pin, conflictingHash } : pin))
}

/** Every readable, unforked anchored pin of this user on this device. */
function localAnchorPins(userId: string): PinSet {
  const pins: PinSet = new Map()
  const prefix = `${ANCHOR_PREFIX}${userId}.`
  for (let index = 0; index < window.localStorage.length; index++) {
    const key = window.localStorage.key(index)
    if (!key?.startsWith(prefix)) continue
    const cellId = key.slice(prefix.length)
    const stored = readAnchorPin({ cellId, userId })
    if (stored.kind === 'pinned') pins.set(cellId, stored.pin)
  }
  return pins
}

/** Kept by the newcomer's browser when it answers (rejoindre.$invitationId), read at its first roster check. */
export function rememberNewcomerAnchor({ cellId, anchor }: { cellId: string; anchor: NewcomerAnchor }): void {
  const value = {
    coordinatorSignPublicKey: toBase64Url(anchor.coordinatorSignPublicKey),
    signPublicKey: toBase64Url(anchor.newcomer.signPublicKey),
    boxPublicKey: toBase64Url(anchor.newcomer.boxPublicKey),
  }
  window.sessionStorage.setItem(newcomerKey({ cellId, userId: anchor.newcomer.memberId }), JSON.stringify(value))
}

/**
 * The newcomer's anchor for this cell, if this tab kept one. A missing or unreadable one is « none »:
 * it only ever adds a requirement, so losing it weakens nothing the pins do (the device stays unanchored).
 */
export function readNewcomerAnchor({ cellId, userId }: { cellId: string; userId: string }): NewcomerAnchor | null {
  let raw: string | null | undefined
  try {
    raw = window.sessionStorage?.getItem(newcomerKey({ cellId, userId }))
  } catch (error) {
    if (error instanceof DOMException) return null
    throw error
  }
  if (!raw) return null
  let stored: unknown
  try {
    stored = JSON.parse(raw)
  } catch (error) {
    if (error instanceof SyntaxError) return null
    throw error
  }
  const parsed = newcomerAnchorSchema.safeParse(stored)
  if (!parsed.success) return null
  return {
    coordinatorSignPublicKey: fromBase64Url(parsed.data.coordinatorSignPublicKey),
    newcomer: { memberId: userId, signPublicKey: fromBase64Url(parsed.data.signPublicKey), boxPublicKey: fromBase64Url(parsed.data.boxPublicKey) },
  }
}

export function forgetNewcomerAnchor({ cellId, userId }: { cellId: string; userId: string }): void {
  window.sessionStorage?.removeItem(newcomerKey({ cellId, userId }))
}

/**
 * The account's synced pins. `unreadable`: a blob this account key cannot open (after an account
 * reset, or one the server altered); it anchors nothing and the next write replaces it, which is
 * no more than the server could do by deleting it.
 */
export type SyncedPins = { counter: number; pins: PinSet; unreadable: boolean }

export type SyncFailure = { ok: false; message: string }

async function fetchSyncedPins(keys: AccountKeys): Promise<{ ok: true; synced: SyncedPins } | SyncFailure> {
  let response: Response
  try {
    response = await fetch(ENDPOINT, { credentials: 'same-origin' })
  } catch {
    return { ok: false, message: 'le serveur ne répond pas' }
  }
  if (!response.ok) return { ok: false, message: `le serveur a refusé de les servir (erreur ${response.status})` }
  const parsed = rosterPinsResponseSchema.safeParse(await response.json().catch(() => null))
  if (!parsed.success) return { ok: false, message: 'la réponse du serveur est illisible' }
  const { counter, blob } = parsed.data
  if (blob === null) return { ok: true, synced: { counter, pins: new Map(), unreadable: false } }
  await initCrypto()
  try {
    return { ok: true, synced: { counter, pins: openRosterPins({ userId: keys.userId, accountKey: keys.accountKey, counter, blob }), unreadable: false } }
  } catch (error) {
    if (error instanceof CryptoVerificationError || error instanceof CryptoFormatError) return { ok: true, synced: { counter, pins: new Map(), unreadable: true } }
    throw error
  }
}

/**
 * Writes `update(current)` back under the next counter. A 409 means another tab or device wrote
 * first: fetch again, merge again, retry (a few times, then give up: the pins stay on this device).
 */
async function storeSyncedPins({ keys, update, attempts = 3 }: { keys: AccountKeys; update: (current: SyncedPins) => PinSet | null; attempts?: number }): Promise<{ ok: true } | SyncFailure> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const fetched = await fetchSyncedPins(keys)
    if (!fetched.ok) return fetched
    const pins = update(fetched.synced)
    if (!pins) return { ok: true }
    const counter = fetched.synced.counter + 1
    const blob = sealRosterPins({ userId: keys.userId, accountKey: keys.accountKey, counter, pins })
    let response: Response
    try {
      response = await fetch(ENDPOINT, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ counter, blob }), credentials: 'same-origin' })
    } catch {
      return { ok: false, message: 'le serveur ne répond pas' }
    }
    if (response.ok) return { ok: true }
    if (response.status !== 409) return { ok: false, message: `le serveur a refusé de les enregistrer (erreur ${response.status})` }
  }
  return { ok: false, message: 'd’autres onglets les modifient en même temps' }
}

/** The synced pin of one cell, for a roster check with the keys unlocked. */
export async function syncedPinFor({ keys, cellId }: { keys: AccountKeys; cellId: string }): Promise<{ ok: true; pin: RosterPin | undefined } | SyncFailure> {
  const fetched = await fetchSyncedPins(keys)
  return fetched.ok ? { ok: true, pin: fetched.synced.pins.get(cellId) } : fetched
}

/** After an anchored check moved a cell's pin forward: the higher seq wins, as everywhere. */
export async function publishAnchoredPin({ keys, cellId, pin }: { keys: AccountKeys; cellId: string; pin: RosterPin }) {
  return storeSyncedPins({
    keys,
    // An unreadable blob opens as no pins: this pin is then « first » and replaces it.
    update: current => (comparePins(pin, current.pins.get(cellId)).kind === 'first' ? new Map(current.pins).set(cellId, pin) : null),
  })
}

/**
 * At login, once the keys are unlocked: every synced pin comes to this device (higher seq wins),
 * a synced pin that disagrees with this device's at the same seq is recorded as a fork (the cell's
 * next check raises the alarm), and this device's newer pins go back to the account.
 */
export async function mergeRosterPinsAtLogin(keys: AccountKeys): Promise<{ ok: true; forks: string[] } | SyncFailure> {
  await initCrypto()
  const fetched = await fetchSyncedPins(keys)
  if (!fetched.ok) return fetched
  const local = localAnchorPins(keys.userId)
  const merged = mergePinSets({ first: local, second: fetched.synced.pins })
  for (const [cellId, pin] of merged.pins) if (comparePins(local.get(cellId), pin).kind === 'second') writeAnchorPin({ cellId, userId: keys.userId, pin })
  for (const cellId of merged.forks) {
    const mine = local.get(cellId)
    const theirs = fetched.synced.pins.get(cellId)
    if (mine && theirs) writeAnchorPin({ cellId, userId: keys.userId, pin: mine, conflictingHash: theirs.hash })
  }
  const backwards = mergePinSets({ first: fetched.synced.pins, second: local })
  if (backwards.changedFirst || fetched.synced.unreadable) {
    const stored = await storeSyncedPins({
      keys,
      update: current => {
        const next = mergePinSets({ first: current.pins, second: localAnchorPins(keys.userId) })
        return next.changedFirst || current.unreadable ? next.pins : null
      },
    })
    if (!stored.ok) return stored
  }
  return { ok: true, forks: merged.forks }
}

/**
 * The hook login and the unlock form call once the keys are in memory: merge the account's pins
 * with this device's. It never fails the login: a storage the browser refuses or a server that
 * does not answer leaves the pins where they are, and each cell's next check tries again.
 */
export async function mergeRosterPinsAfterUnlock(keys: AccountKeys | null): Promise<void> {
  if (!keys) return
  try {
    await mergeRosterPinsAtLogin(keys)
  } catch (error) {
    if (!(error instanceof DOMException)) throw error
  }
}
