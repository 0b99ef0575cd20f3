import { isUniqueViolation } from '#app/utils/db-errors.server.ts'
import { HttpError } from '#app/access/http-error.ts'

/** What a person reads when their roster change was written over a roster someone else changed meanwhile. */
export const ROSTER_CHANGED_MESSAGE = 'Quelqu’un d’autre a modifié le registre entre-temps. Rechargez le registre, vérifiez ce qui a changé, puis recommencez.'

/** The refusal for a stale roster change: a 409 the pages recognise (`code`) and answer with a reload action. */
export function rosterChanged(): HttpError {
  return new HttpError(409, ROSTER_CHANGED_MESSAGE, { code: 'roster_changed' })
}

/** Two clients appending at the same roster position: the second is told someone else changed it, not a 500. */
export async function withRosterRace<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (isUniqueViolation(error)) throw rosterChanged()
    throw error
  }
}
