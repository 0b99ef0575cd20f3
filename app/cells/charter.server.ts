import { type z } from 'zod'
import { bytesToHex, charterHash } from '#charter/hash.ts'
import { checkCharterUpdate } from '#charter/schema.ts'
import { recordAudit } from '#db/journal/record.ts'
import { findCharterVersion, insertCharterSignature, insertCharterVersion } from '#db/cells.ts'
import { type Database } from '#db/database.ts'
import { type CellPrincipal } from '#app/access/authorize.server.ts'
import { HttpError } from '#app/access/http-error.ts'
import { withRosterRace } from './http.server.ts'
import { checkCharterSignature, registeredIdentity } from './identity.server.ts'
import { appendRosterLinksChecked } from './roster.server.ts'
import { type publishCharterSchema, type signCharterSchema } from './schemas.ts'

/** A member signs the charter in force (the guard allowed `cell:charter:sign`). */
export async function signCharter({ db, principal, body, clientIp }: { db: Database; principal: CellPrincipal; body: z.infer<typeof signCharterSchema>; clientIp: string }) {
  const cellId = principal.cell.id
  const identity = await registeredIdentity(db, principal.userId)
  const audit = { actorUserId: principal.userId, cellId, ipAddress: clientIp }
  const charter = await findCharterVersion(db, { cellId, version: body.version })
  if (!charter || body.version !== principal.cell.currentCharterVersion) throw new HttpError(409, 'Seule la version en vigueur de la charte peut être signée : rechargez la page.')
  if (charter.hash !== body.hash) throw new HttpError(409, 'La charte a changé depuis son affichage : rechargez la page.')
  checkCharterSignature({ identity, cellId, version: body.version, hash: body.hash, signature: body.signature })
  await db.transaction(async tx => {
    await insertCharterSignature(tx, { cellId, userId: principal.userId, version: body.version, hash: body.hash, signature: body.signature })
    await recordAudit(tx, { type: 'cell.charter.signed', outcome: 'success', data: { version: body.version } }, audit)
  })
}

/** A coordinator publishes the next version (the guard allowed `cell:charter:publish`); returns it. */
export async function publishCharter({ db, principal, body, clientIp }: { db: Database; principal: CellPrincipal; body: z.infer<typeof publishCharterSchema>; clientIp: string }): Promise<number> {
  const cellId = principal.cell.id
  const identity = await registeredIdentity(db, principal.userId)
  const audit = { actorUserId: principal.userId, cellId, ipAddress: clientIp }
  const current = await findCharterVersion(db, { cellId, version: principal.cell.currentCharterVersion })
  if (!current) throw new HttpError(409, 'Version en vigueur introuvable.')
  const update = checkCharterUpdate({ previous: current.content, next: body.charter })
  if (!update.ok) {
    throw new HttpError(422, `Charte refusée : ${update.problems.map(problem => problem.message).join(' ')}`, {
      fieldErrors: { charter: update.problems.map(problem => `${problem.path} : ${problem.message}`) },
    })
  }
  const hash = await charterHash(update.charter)
  if (hash !== body.hash) throw new HttpError(422, 'L’empreinte envoyée ne correspond pas à la charte.')
  checkCharterSignature({ identity, cellId, version: update.charter.version, hash, signature: body.signature })
  await withRosterRace(() =>
    db.transaction(async tx => {
      const { state } = await appendRosterLinksChecked({ tx, cellId, authorId: principal.userId, links: body.links, allowedTypes: ['charter_version'] })
      if (state.charter?.version !== update.charter.version || bytesToHex(state.charter.charterHash) !== hash) {
        throw new HttpError(422, 'Le registre doit porter cette version de la charte et son empreinte.')
      }
      await insertCharterVersion(tx, { cellId, version: update.charter.version, content: update.charter, hash, publishedBy: principal.userId })
      await insertCharterSignature(tx, { cellId, userId: principal.userId, version: update.charter.version, hash, signature: body.signature })
      await recordAudit(tx, { type: 'cell.charter.published', outcome: 'success', data: { version: update.charter.version } }, audit)
    }),
  )
  return update.charter.version
}
