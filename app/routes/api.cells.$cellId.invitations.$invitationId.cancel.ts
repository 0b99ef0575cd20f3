import { type ActionFunctionArgs } from '@remix-run/node'
import { auditResourceKey, requireCellPermission } from '#app/access/authorize.server.ts'
import { cancelInvitation } from '#app/cells/invitations.server.ts'
import { cancelInvitationSchema } from '#app/cells/schemas.ts'
import { postOnly, readJson } from '#app/utils/http.server.ts'

/** The coordination cancels an invitation: withdrawn, or because the verification codes differed (journaled with its reason). */
export const loader = postOnly

export async function action({ request, params, context }: ActionFunctionArgs) {
  const principal = await requireCellPermission({ request, context, cellId: params.cellId ?? '', action: 'cell:member:invite', audit: { resource: auditResourceKey('invitation', params.invitationId) } })
  const { reason } = await readJson(request, cancelInvitationSchema)
  const { message } = await cancelInvitation({ db: context.runtime.db.db, principal, invitationId: params.invitationId ?? '', reason, clientIp: context.clientIp })
  return Response.json({ ok: true, message })
}
