import { type ActionFunctionArgs } from '@remix-run/node'
import { auditResourceKey, requireCellPermission } from '#app/access/authorize.server.ts'
import { changeMember } from '#app/cells/members.server.ts'
import { setRoleSchema } from '#app/cells/schemas.ts'
import { postOnly, readJson } from '#app/utils/http.server.ts'

/** Changing a member’s role (coordinators): the signed set_role link and the rotations it needs. */
export const loader = postOnly

export async function action({ request, params, context }: ActionFunctionArgs) {
  const principal = await requireCellPermission({ request, context, cellId: params.cellId ?? '', action: 'cell:member:set-role', audit: { resource: auditResourceKey('member', params.memberId) } })
  const body = await readJson(request, setRoleSchema)
  await changeMember({ db: context.runtime.db.db, principal, memberId: params.memberId ?? '', change: { kind: 'set-role', body }, clientIp: context.clientIp })
  return Response.json({ ok: true })
}
