import { type ActionFunctionArgs } from '@remix-run/node'
import { auditResourceKey, requireCellPermission } from '#app/access/authorize.server.ts'
import { changeMember } from '#app/cells/members.server.ts'
import { rotationSchema } from '#app/cells/schemas.ts'
import { postOnly, readJson } from '#app/utils/http.server.ts'

/** Removing a member (coordinators): the removal link and the new epoch sealed to the others. */
export const loader = postOnly

export async function action({ request, params, context }: ActionFunctionArgs) {
  const principal = await requireCellPermission({ request, context, cellId: params.cellId ?? '', action: 'cell:member:remove', audit: { resource: auditResourceKey('member', params.memberId) } })
  const body = await readJson(request, rotationSchema)
  await changeMember({ db: context.runtime.db.db, principal, memberId: params.memberId ?? '', change: { kind: 'remove', body }, clientIp: context.clientIp })
  return Response.json({ ok: true })
}
