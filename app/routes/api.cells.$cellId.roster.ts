import { type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { can } from '#charter/policy.ts'
import { recordAudit } from '#db/journal/record.ts'
import { appendAuditEvent } from '#db/journal/record.ts'
import { listKeyBlobsFor, listRosterLinks } from '#db/cells.ts'
import { failClosed, requireCellPermission } from '#app/access/authorize.server.ts'
import { withRosterRace } from '#app/cells/http.server.ts'
import { appendRosterLinksChecked } from '#app/cells/roster.server.ts'
import { attestSchema } from '#app/cells/schemas.ts'
import { readJson } from '#app/utils/http.server.ts'

/**
 * The roster as stored, and the key blobs this member may fetch (epoch keys sealed to them only).
 * The browser validates everything; a DPO gets the roster but no key.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const principal = await requireCellPermission({ request, context, cellId: params.cellId ?? '', action: 'cell:roster:read' })
  const db = context.runtime.db.db
  const links = (await listRosterLinks(db, principal.cell.id)).map(row => row.link)
  const canHoldKeys = can({ actor: principal.actor, action: 'cell:keys:read', resource: { kind: 'cell', cellId: principal.cell.id }, rules: principal.rules }).allowed
  // Fetching one's sealed cell keys is the server-side proxy for "could decrypt" (research A.2):
  // its own journal event, written in the same transaction as the read.
  const blobs = canHoldKeys
    ? await failClosed(() => db.transaction(async tx => {
        const found = await listKeyBlobsFor(tx, { cellId: principal.cell.id, userId: principal.userId })
        await appendAuditEvent(tx, {
          action: 'cell.keys.read',
          outcome: 'success',
          cellId: principal.cell.id,
          detail: { actorUserId: principal.userId, actorRole: principal.membership?.role ?? null, ip: context.clientIp ?? null, requestId: context.requestId ?? null, resource: 'keys', data: { epochKeysFetched: found.length } },
        })
        return found
      }))
    : []
  return Response.json(
    { cellId: principal.cell.id, links, blobs: blobs.map(({ kind, epoch, slot, blob }) => ({ kind, epoch, slot, blob })) }
  )
}

/** "J'atteste": after the roster code was read aloud and matched, a member signs an attestation link. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const principal = await requireCellPermission({ request, context, cellId: params.cellId ?? '', action: 'cell:roster:attest' })
  const { links } = await readJson(request, attestSchema)
  const db = context.runtime.db.db
  const seq = await withRosterRace(() =>
    db.transaction(async tx => {
      const { parsed } = await appendRosterLinksChecked({ tx, cellId: principal.cell.id, authorId: principal.userId, links, allowedTypes: ['verification_attestation'] })
      const attested = parsed[0]?.payload
      const attestedSeq = attested?.type === 'verification_attestation' ? attested.attestedSeq : -1
      await recordAudit(tx, { type: 'cell.roster.attested', outcome: 'success', data: { seq: attestedSeq } }, { actorUserId: principal.userId, cellId: principal.cell.id, ipAddress: context.clientIp })
      return attestedSeq
    })
  )
  return Response.json({ ok: true, seq })
}
