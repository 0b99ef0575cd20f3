import { type ActionFunctionArgs } from '@remix-run/node'
import { z } from 'zod'
import { recordAudit } from '#db/journal/record.ts'
import { findMembership, markMembershipRemoved, setMembershipRole } from '#db/cells.ts'
import { auditResourceKey, isUuid, requireCellPermission } from '#app/cells/cell-guard.server.ts'
import { withRosterRace } from '#app/cells/http.server.ts'
import { appendRosterLinksChecked } from '#app/cells/roster.server.ts'
import { storeRotation } from '#app/cells/rotation.server.ts'
import { rotationSchema, roleSchema } from '#app/cells/schemas.ts'
import { revokeAllSessions } from '#app/auth/session.server.ts'
import { database } from '#app/utils/db.server.ts'
import { jsonError, postOnly, readJson } from '#app/utils/http.server.ts'

const requestSchema = z.discriminatedUnion('intent', [
  rotationSchema.extend({ intent: z.literal('remove') }),
  rotationSchema.extend({ intent: z.literal('set-role'), role: roleSchema }),
])

/**
 * Removal or role change, as signed by the coordinator's browser: the change link, then the new epoch
 * and the other rotations of the planner. A removed member's sessions end at once.
 */
export const loader = postOnly

export async function action({ request, params, context }: ActionFunctionArgs) {
  const body = await readJson(request, requestSchema)
  const principal = await requireCellPermission({
    request,
    context,
    audit: { resource: auditResourceKey('member', params.memberId) },
    cellId: params.cellId ?? '',
    action: body.intent === 'remove' ? 'cell:member:remove' : 'cell:member:set-role',
    mode: 'api',
  })
  const db = database()
  const cellId = principal.cell.id
  const memberId = params.memberId ?? ''
  const membership = isUuid(memberId) ? await findMembership(db, { cellId, userId: memberId }) : undefined
  if (!membership || membership.status === 'removed') return jsonError(404, 'Ce membre ne fait pas partie de la cellule.')
  if (memberId === principal.userId && body.intent === 'remove') return jsonError(422, 'Vous ne pouvez pas vous retirer vous-même : confiez d’abord la coordination à une autre personne.')

  await withRosterRace(() =>
    db.transaction(async tx => {
      const { state, parsed } = await appendRosterLinksChecked({
        tx,
        cellId,
        authorId: principal.userId,
        links: body.links,
        allowedTypes: [body.intent === 'remove' ? 'remove_member' : 'set_role', 'rotate_epoch', 'publish_intake_key'],
      })
      const change = parsed[0]?.payload
      const targets = change && 'memberId' in change ? change.memberId : undefined
      if (targets !== memberId) throw jsonError(422, 'Le premier maillon doit viser ce membre.')
      if (state.rotationRequired) throw jsonError(422, 'La rotation des clés manque : le membre retiré pourrait encore lire la suite.')
      await storeRotation({ tx, cellId, state, rotation: body, linkTypes: parsed.map(link => link.payload.type) })
      if (body.intent === 'remove') {
        await markMembershipRemoved(tx, { cellId, userId: memberId })
        const sessionsRevoked = await revokeAllSessions(tx, memberId)
        await recordAudit(tx, { type: 'cell.member.removed', outcome: 'success', data: { memberId, newEpoch: body.epoch, sessionsRevoked } }, { actorUserId: principal.userId, cellId, ipAddress: context.clientIp })
      } else {
        if (change?.type !== 'set_role' || change.role !== body.role) throw jsonError(422, 'Le rôle signé diffère du rôle demandé.')
        await setMembershipRole(tx, { cellId, userId: memberId, role: body.role })
        // DESIGN §4: a role change ends the person's sessions, so no page keeps what the old role showed.
        const sessionsRevoked = await revokeAllSessions(tx, memberId)
        await recordAudit(
          tx,
          { type: 'cell.member.role_changed', outcome: 'success', data: { memberId, role: body.role, newEpoch: body.epoch, sessionsRevoked } },
          { actorUserId: principal.userId, cellId, ipAddress: context.clientIp },
        )
      }
    }),
  )
  return Response.json({ ok: true })
}
