import { type ActionFunctionArgs } from '@remix-run/node'
import { requireCellPermission } from '#app/access/authorize.server.ts'
import { signCharter } from '#app/cells/charter.server.ts'
import { signCharterSchema } from '#app/cells/schemas.ts'
import { postOnly, readJson } from '#app/utils/http.server.ts'

/** Signing the charter in force: Ed25519 over (cell, version, hash) with the member's registered identity key. */
export const loader = postOnly

export async function action({ request, params, context }: ActionFunctionArgs) {
  const principal = await requireCellPermission({ request, context, cellId: params.cellId ?? '', action: 'cell:charter:sign', audit: { resource: 'charter' } })
  const body = await readJson(request, signCharterSchema)
  await signCharter({ db: context.runtime.db.db, principal, body, clientIp: context.clientIp })
  return Response.json({ ok: true })
}
