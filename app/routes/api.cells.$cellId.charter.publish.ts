import { type ActionFunctionArgs } from '@remix-run/node'
import { requireCellPermission } from '#app/access/authorize.server.ts'
import { publishCharter } from '#app/cells/charter.server.ts'
import { publishCharterSchema } from '#app/cells/schemas.ts'
import { postOnly, readJson } from '#app/utils/http.server.ts'

/**
 * Publishing (coordinators): the next version, within the legal floor, in the roster with its hash;
 * every member is suspended until they sign it.
 */
export const loader = postOnly

export async function action({ request, params, context }: ActionFunctionArgs) {
  const principal = await requireCellPermission({ request, context, cellId: params.cellId ?? '', action: 'cell:charter:publish', audit: { resource: 'charter' } })
  const body = await readJson(request, publishCharterSchema)
  const version = await publishCharter({ db: context.runtime.db.db, principal, body, clientIp: context.clientIp })
  return Response.json({ ok: true, version })
}
