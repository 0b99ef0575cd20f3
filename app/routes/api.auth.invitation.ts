import { type ActionFunctionArgs } from '@remix-run/node'
import { DEFAULT_KDF, findUserById } from '#db/accounts.ts'
import { lookupInvitation } from '#db/invitations.ts'
import { type InvitationDetails } from '#app/auth/registration-form.tsx'
import { invitationLookupSchema } from '#app/auth/schemas.ts'
import { tooManyAttempts } from '#app/auth/throttle.server.ts'
import { postOnly, readJson } from '#app/utils/http.server.ts'
import { HttpError } from '#app/access/http-error.ts'

const REFUSALS = {
  unknown: { status: 404, title: 'Lien d’invitation introuvable', body: 'Ce lien n’est pas valide. Vérifiez qu’il a été copié en entier, ou demandez une nouvelle invitation à la personne qui vous l’a envoyé.' },
  expired: { status: 410, title: 'Lien d’invitation expiré', body: 'Ce lien était valable 7 jours et a expiré. Demandez une nouvelle invitation à la personne qui vous l’a envoyé.' },
  used: { status: 410, title: 'Lien d’invitation déjà utilisé', body: 'Ce lien a déjà servi à créer un compte. Si c’est le vôtre, connectez-vous. Sinon, demandez une nouvelle invitation.' },
} as const

/**
 * What the registration page needs to know about an invitation or reset link. The token is the
 * whole credential, so it arrives in the POST body (the page reads it from the link's fragment):
 * never in a URL the server, a proxy or the request log sees.
 */
export const loader = postOnly

export async function action({ request, context }: ActionFunctionArgs) {
  const limiter = context.runtime.throttles.preLogin
  // Every request counts (it cannot fail visibly).
  const wait = await limiter.attempt([context.clientIp])
  if (wait > 0) throw tooManyAttempts(wait)

  const { token } = await readJson(request, invitationLookupSchema)
  const lookup = await lookupInvitation(context.runtime.db.db, token)
  if (lookup.status !== 'valid') {
    const refusal = REFUSALS[lookup.status]
    throw new HttpError(refusal.status, refusal.body, { title: refusal.title })
  }
  const { invitation } = lookup
  const existing = invitation.purpose === 'account_reset' ? await findUserById(context.runtime.db.db, invitation.userId) : undefined
  const details: InvitationDetails = {
    purpose: invitation.purpose,
    email: invitation.email,
    userId: invitation.userId,
    existing: existing ? { displayName: existing.displayName, profession: existing.profession ?? 'autre', rppsNumber: existing.rppsNumber ?? '', adeliNumber: existing.adeliNumber ?? '' } : null,
    kdf: { algorithm: 'argon2id13', opsLimit: DEFAULT_KDF.opsLimit, memLimitBytes: DEFAULT_KDF.memLimitBytes, saltSeed: invitation.saltSeed },
  }
  return Response.json(details)
}
