import { type ActionFunctionArgs } from '@remix-run/node'
import { z } from 'zod'
import { bytesToHex, charterHash } from '#charter/hash.ts'
import { checkCharterUpdate } from '#charter/schema.ts'
import { recordAudit } from '#db/journal/record.ts'
import { findCharterVersion, insertCharterSignature, insertCharterVersion } from '#db/cells.ts'
import { requireCellPermission } from '#app/cells/cell-guard.server.ts'
import { withRosterRace } from '#app/cells/http.server.ts'
import { checkCharterSignature, registeredIdentity } from '#app/cells/identity.server.ts'
import { appendRosterLinksChecked } from '#app/cells/roster.server.ts'
import { publishCharterSchema, signCharterSchema } from '#app/cells/schemas.ts'
import { database } from '#app/utils/db.server.ts'
import { jsonError, postOnly, readJson } from '#app/utils/http.server.ts'

const requestSchema = z.discriminatedUnion('intent', [signCharterSchema.extend({ intent: z.literal('sign') }), publishCharterSchema.extend({ intent: z.literal('publish') })])

/**
 * Signing: Ed25519 over (cell, version, hash) with the member's registered identity key. Publishing
 * (coordinators): the next version, within the legal floor, in the roster with its hash; every
 * member is suspended until they sign it.
 */
export const loader = postOnly

export async function action({ request, params, context }: ActionFunctionArgs) {
  const body = await readJson(request, requestSchema)
  const principal = await requireCellPermission({
    request,
    context,
    audit: { resource: 'charter' },
    cellId: params.cellId ?? '',
    action: body.intent === 'sign' ? 'cell:charter:sign' : 'cell:charter:publish',
    mode: 'api',
  })
  const db = database()
  const cellId = principal.cell.id
  const identity = await registeredIdentity(db, principal.userId)
  const audit = { actorUserId: principal.userId, cellId, ipAddress: context.clientIp }

  if (body.intent === 'sign') {
    const charter = await findCharterVersion(db, { cellId, version: body.version })
    if (!charter || body.version !== principal.cell.currentCharterVersion) return jsonError(409, 'Seule la version en vigueur de la charte peut être signée : rechargez la page.')
    if (charter.hash !== body.hash) return jsonError(409, 'La charte a changé depuis son affichage : rechargez la page.')
    checkCharterSignature({ identity, cellId, version: body.version, hash: body.hash, signature: body.signature })
    await db.transaction(async tx => {
      await insertCharterSignature(tx, { cellId, userId: principal.userId, version: body.version, hash: body.hash, signature: body.signature })
      await recordAudit(tx, { type: 'cell.charter.signed', outcome: 'success', data: { version: body.version } }, audit)
    })
    return Response.json({ ok: true })
  }

  const current = await findCharterVersion(db, { cellId, version: principal.cell.currentCharterVersion })
  if (!current) return jsonError(409, 'Version en vigueur introuvable.')
  const update = checkCharterUpdate({ previous: current.content as never, next: body.charter })
  if (!update.ok) {
    return jsonError(422, `Charte refusée : ${update.problems.map(problem => problem.message).join(' ')}`, {
      charter: update.problems.map(problem => `${problem.path} : ${problem.message}`),
    })
  }
  const hash = await charterHash(update.charter)
  if (hash !== body.hash) return jsonError(422, 'L’empreinte envoyée ne correspond pas à la charte.')
  checkCharterSignature({ identity, cellId, version: update.charter.version, hash, signature: body.signature })
  await withRosterRace(() =>
    db.transaction(async tx => {
      const { state } = await appendRosterLinksChecked({ tx, cellId, authorId: principal.userId, links: body.links, allowedTypes: ['charter_version'] })
      if (state.charter?.version !== update.charter.version || bytesToHex(state.charter.charterHash) !== hash) {
        throw jsonError(422, 'Le registre doit porter cette version de la charte et son empreinte.')
      }
      await insertCharterVersion(tx, { cellId, version: update.charter.version, content: update.charter, hash, publishedBy: principal.userId })
      await insertCharterSignature(tx, { cellId, userId: principal.userId, version: update.charter.version, hash, signature: body.signature })
      await recordAudit(tx, { type: 'cell.charter.published', outcome: 'success', data: { version: update.charter.version } }, audit)
    }),
  )
  return Response.json({ ok: true, version: update.charter.version })
}
