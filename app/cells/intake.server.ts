import { CryptoPolicyError } from '#crypto/errors.ts'
import { assertIntakeAcceptsReferrals, type RosterIntakeKey } from '#crypto/roster.ts'
import { type Database } from '#db/database.ts'
import { HttpError } from '#app/access/http-error.ts'
import { loadRoster } from './roster.server.ts'

/**
 * The server side of retirement (review §7): a referral sealed to an intake key the roster has
 * replaced, or that has expired, is refused before anything is stored, so that a removed triage
 * member holding an old seed (from a dump) finds nothing new sealed to it. The saisine route calls
 * this with the index written in the sealed referral's clear header.
 */
export async function requireOpenIntakeKey({ db, cellId, index, nowMs = Date.now() }: { db: Pick<Database, 'select'>; cellId: string; index: number; nowMs?: number }): Promise<RosterIntakeKey> {
  const { state } = await loadRoster(db, cellId)
  if (!state) throw new HttpError(404, 'Cette cellule ne reçoit pas encore de saisines.')
  try {
    return assertIntakeAcceptsReferrals({ state, index, nowMs })
  } catch (error) {
    if (error instanceof CryptoPolicyError) {
      throw new HttpError(409, 'La clé de la cellule a changé depuis l’ouverture de cette page : rechargez-la (ou appelez la cellule) avant d’envoyer. Rien n’a été transmis.')
    }
    throw error
  }
}
