import { isUniqueViolation } from '#app/utils/db-errors.server.ts'
import { HttpError } from '#app/access/http-error.ts'


/** Two clients appending at the same roster position: the second gets a clear 409, not a 500. */
export async function withRosterRace<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (isUniqueViolation(error)) throw new HttpError(409, 'Le registre a changé entre-temps (une autre action a eu lieu). Rechargez la page et recommencez.')
    throw error
  }
}
