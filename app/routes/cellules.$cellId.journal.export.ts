import { type LoaderFunctionArgs } from '@remix-run/node'
import { exportAuditLog, ExportUnavailableError } from '#db/journal/export.ts'
import { sealEvent } from '#db/journal/seal.ts'
import { requireCellPermission } from '#app/access/authorize.server.ts'
import { HttpError } from '#app/access/http-error.ts'
import { getOnly } from '#app/utils/http.server.ts'


/**
 * The DPO's signed export of the cell's journal: every leaf of the cell with its inclusion
 * proof, the signed checkpoints and their consistency proofs, and the unpurged details
 * (who, when, from where — never content). The export event itself is inside.
 */
/** GET only: any other method is a French 405. */
export const action = getOnly

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const principal = await requireCellPermission({
    request,
    context,
    cellId: params.cellId ?? '',
    action: 'cell:audit:export',
    audit: { action: 'audit.export.created', resource: 'journal' },
  })
  const db = context.runtime.db.db
  const signer = context.runtime.signer
  const sealed = await sealEvent(db, { eventId: principal.auditEventId, signer })
  if (!sealed) throw new HttpError(503, 'Le journal n’a pas pu être scellé à temps : réessayez dans une minute.')
  try {
    const file = await exportAuditLog(db, { key: signer.key, origin: signer.origin, cellId: principal.cell.id })
    const day = new Date().toISOString().slice(0, 10)
    return new Response(JSON.stringify(file, null, 1), {
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Disposition': `attachment; filename="journal-cellule-${principal.cell.id.slice(0, 8)}-${day}.json"`,
        'Cache-Control': 'no-store',
      },
    })
  } catch (error) {
    if (error instanceof ExportUnavailableError) throw new HttpError(503, error.message.split(' / ')[0] ?? error.message)
    throw error
  }
}
