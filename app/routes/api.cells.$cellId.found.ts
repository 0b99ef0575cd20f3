import { type ActionFunctionArgs } from '@remix-run/node'
import { bytesToHex } from '#charter/hash.ts'
import { findUserById } from '#db/accounts.ts'
import { recordAudit } from '#db/journal/record.ts'
import { findCellInvitation, findCharterVersion, insertCharterSignature, insertKeyBlobs, markInvitation, upsertActiveMembership } from '#db/cells.ts'
import { requireCellPermission } from '#app/access/authorize.server.ts'
import { withRosterRace } from '#app/cells/http.server.ts'
import { checkCharterSignature, registeredIdentity, sameKeys } from '#app/cells/identity.server.ts'
import { appendRosterLinksChecked } from '#app/cells/roster.server.ts'
import { foundCellSchema } from '#app/cells/schemas.ts'
import { postOnly, readJson } from '#app/utils/http.server.ts'
import { HttpError } from '#app/access/http-error.ts'

/**
 * The first coordinator founds the cell: genesis, epoch 0 sealed to themself, intake key pair, the
 * charter version 1 in the roster and their signature of it. The server checks everything it can
 * without any key: signatures, the founder's registered identity, the charter hash.
 */
export const loader = postOnly

export async function action({ request, params, context }: ActionFunctionArgs) {
  const principal = await requireCellPermission({ request, context, cellId: params.cellId ?? '', action: 'cell:invitation:accept' })
  const body = await readJson(request, foundCellSchema)
  const db = context.runtime.db.db
  const cellId = principal.cell.id
  const invitation = await findCellInvitation(db, body.invitationId)
  const identity = await registeredIdentity(db, principal.userId)
  const charter = await findCharterVersion(db, { cellId, version: 1 })
  if (!invitation || invitation.cellId !== cellId || invitation.kind !== 'founding') throw new HttpError(404, 'Invitation introuvable.')
  // Who it is for first: someone else learns nothing about the invitation's state.
  const user = await findUserById(db, principal.userId)
  if (user?.email !== invitation.email) throw new HttpError(403, 'Cette invitation a été adressée à une autre personne (une autre adresse électronique que celle de votre compte) : connectez-vous avec le compte de la personne invitée.')
  if (invitation.status !== 'pending' || invitation.expiresAt < new Date()) throw new HttpError(410, 'Cette invitation n’est plus valable.')
  if (!charter || charter.hash !== body.charterHash) throw new HttpError(409, 'La charte a changé : rechargez la page.')
  checkCharterSignature({ identity, cellId, version: 1, hash: body.charterHash, signature: body.charterSignature })

  await withRosterRace(() =>
    db.transaction(async tx => {
      const { state, parsed } = await appendRosterLinksChecked({
        tx,
        cellId,
        authorId: principal.userId,
        links: body.links,
        allowedTypes: ['genesis', 'rotate_epoch', 'publish_intake_key', 'charter_version'],
      })
      const genesis = parsed[0]
      if (genesis?.payload.type !== 'genesis' || !sameKeys({ identity, keys: genesis.payload.founder })) {
        throw new HttpError(422, 'La genèse doit porter vos clés d’identité enregistrées.')
      }
      if (state.currentEpoch !== 0 || state.currentIntakeIndex !== 0) throw new HttpError(422, 'Fondation incomplète : clé de cellule ou clé de saisine manquante.')
      if (state.charter?.version !== 1 || bytesToHex(state.charter.charterHash) !== body.charterHash) {
        throw new HttpError(422, 'Le registre doit porter la version 1 de la charte.')
      }
      // The founder alone holds the keys of epoch 0 and intake key 0: one seal of each, to them.
      const sent = body.sealed.map(({ kind, epoch, slot }) => `${kind}:${epoch}:${slot}`).sort().join(',')
      const expected = ['cell_epoch_key', 'index_key', 'intake_seed'].map(kind => `${kind}:0:${principal.userId}`).join(',')
      if (sent !== expected) throw new HttpError(422, 'Fondation incomplète : la clé de cellule, la clé d’index et la clé de saisine doivent vous être scellées.')
      await insertKeyBlobs(tx, body.sealed.map(({ kind, epoch, slot, blob }) => ({ cellId, kind, epoch, slot, blob })))
      await upsertActiveMembership(tx, { cellId, userId: principal.userId, role: 'coordinator' })
      await insertCharterSignature(tx, { cellId, userId: principal.userId, version: 1, hash: body.charterHash, signature: body.charterSignature })
      await markInvitation(tx, { invitationId: invitation.id, status: 'confirmed' })
      await recordAudit(tx, { type: 'cell.founded', outcome: 'success', data: { epoch: 0 } }, { actorUserId: principal.userId, cellId, ipAddress: context.clientIp })
    }),
  )
  return Response.json({ next: `/cellules/${cellId}` })
}
