import { type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { findRosterPins, storeRosterPins } from '#db/roster-pins.ts'
import { requireSignedInActor } from '#app/access/authorize.server.ts'
import { HttpError } from '#app/access/http-error.ts'
import { storeRosterPinsSchema } from '#app/cells/schemas.ts'
import { readJson } from '#app/utils/http.server.ts'

/**
 * The signed-in account's synced roster pins (decision 022): an opaque blob sealed in the browser
 * under the account key, and its counter. Only ever the caller's own row; a write must raise the
 * counter, so two tabs or devices cannot overwrite each other's pins unseen (French 409, the
 * browser fetches, merges and retries).
 */

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await requireSignedInActor({ request, context, audit: { action: 'account.roster_pins.read', resource: 'roster-pins' } })
  const stored = await findRosterPins(context.runtime.db.db, principal.userId)
  return Response.json(stored ?? { counter: 0, blob: null })
}

export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== 'POST') throw new HttpError(405, 'Méthode non prise en charge : envoyez les repères avec POST.', { headers: { Allow: 'GET, POST' } })
  const principal = await requireSignedInActor({ request, context, audit: { action: 'account.roster_pins.written', resource: 'roster-pins' } })
  const body = await readJson(request, storeRosterPinsSchema)
  const stored = await storeRosterPins(context.runtime.db.db, { userId: principal.userId, ...body })
  if (!stored) {
    throw new HttpError(409, 'Vos repères de registre ont été modifiés entre-temps depuis un autre onglet ou appareil : rechargez-les, fusionnez-les puis renvoyez-les.')
  }
  return Response.json({ counter: body.counter })
}
