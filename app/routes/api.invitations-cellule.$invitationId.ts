import { type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { toBase64Url } from '#crypto/encoding.ts'
import { findUserById } from '#db/accounts.ts'
import { findCellInvitation, findMembership, recordInvitationAnswer } from '#db/cells.ts'
import { auditResourceKey, isUuid, requireCellPermission, requireSignedInActor, type RequestContext } from '#app/access/authorize.server.ts'
import { registeredIdentity } from '#app/cells/identity.server.ts'
import { answerInvitationSchema } from '#app/cells/schemas.ts'
import { readJson } from '#app/utils/http.server.ts'
import { HttpError } from '#app/access/http-error.ts'

async function loadForInvitee({ request, context, invitationId }: { request: Request; context: RequestContext; invitationId: string }) {
  const principal = await requireSignedInActor({ request, context, audit: { action: 'cell.invitation.read', resource: auditResourceKey('invitation', invitationId) } })
  const db = context.runtime.db.db
  const invitation = isUuid(invitationId) ? await findCellInvitation(db, invitationId) : undefined
  if (!invitation) throw new HttpError(404, 'Invitation introuvable.')
  const user = await findUserById(db, principal.userId)
  return { principal, invitation, isInvitee: user?.email === invitation.email }
}

/** Status for the invitee (polling while the coordinator compares the SAS), and the answer for the coordinator. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { invitation, isInvitee } = await loadForInvitee({ request, context, invitationId: params.invitationId ?? '' })
  if (isInvitee) return Response.json({ status: invitation.status }, )
  await requireCellPermission({ request, context, cellId: invitation.cellId, action: 'cell:member:confirm' })
  return Response.json({ status: invitation.status, role: invitation.role, kind: invitation.kind, answer: invitation.answer }, )
}

/** The invitee's answer: a proof made with the code handed over in person, bound to their registered keys. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const { principal, invitation, isInvitee } = await loadForInvitee({ request, context, invitationId: params.invitationId ?? '' })
  if (!isInvitee) throw new HttpError(403, 'Cette invitation a été adressée à une autre personne (une autre adresse électronique que celle de votre compte) : connectez-vous avec le compte de la personne invitée.')
  if (invitation.kind === 'founding') throw new HttpError(409, 'Une invitation de fondation ne se confirme pas par code.')
  if (invitation.status !== 'pending' || invitation.expiresAt < new Date()) throw new HttpError(410, 'Cette invitation n’est plus valable : demandez-en une nouvelle à la coordination.')
  const db = context.runtime.db.db
  if (invitation.kind === 'member') {
    await requireCellPermission({ request, context, cellId: invitation.cellId, action: 'cell:invitation:accept' })
  } else {
    // Re-admission is for a member still in the cell, awaiting new keys after an account reset.
    const membership = await findMembership(db, { cellId: invitation.cellId, userId: principal.userId })
    if (membership?.status !== 'active') throw new HttpError(403, 'Vous ne faites plus partie de cette cellule : demandez une nouvelle invitation.')
  }
  const { proof, keyChangeSignature } = await readJson(request, answerInvitationSchema)
  if (invitation.kind === 'readmission' && !keyChangeSignature) throw new HttpError(422, 'Vos nouvelles clés doivent signer le changement de clés : rechargez la page et saisissez de nouveau le code.')
  const identity = await registeredIdentity(db, principal.userId)
  const recorded = await recordInvitationAnswer(db, {
    invitationId: invitation.id,
    userId: principal.userId,
    answer: { memberId: identity.userId, signPublicKey: toBase64Url(identity.signPublicKey), boxPublicKey: toBase64Url(identity.boxPublicKey), proof, ...(keyChangeSignature ? { keyChangeSignature } : {}) },
  })
  if (!recorded) throw new HttpError(409, 'Cette invitation a déjà reçu une réponse.')
  return Response.json({ status: 'answered' })
}
