import { type ActionFunctionArgs } from '@remix-run/node'
import { recordAudit } from '#db/journal/record.ts'
import { findUserByEmail, insertUser, replaceAccountKeys } from '#db/accounts.ts'
import { consumeInvitation, lookupInvitation } from '#db/invitations.ts'
import { checkSubmittedKeys } from '#app/auth/key-material.server.ts'
import { createUserSession, revokeAllSessions } from '#app/auth/session.server.ts'
import { tooManyAttempts } from '#app/auth/throttle.server.ts'
import { registrationRequestSchema } from '#app/auth/schemas.ts'
import { isUniqueViolation } from '#app/utils/db-errors.server.ts'
import { postOnly, readJson } from '#app/utils/http.server.ts'
import { HttpError } from '#app/access/http-error.ts'

const REFUSED = {
  unknown: 'Ce lien d’invitation n’est pas valide. Vérifiez qu’il a été copié en entier ou demandez-en un nouveau.',
  expired: 'Ce lien d’invitation a expiré (validité 7 jours). Demandez une nouvelle invitation.',
  used: 'Ce lien d’invitation a déjà été utilisé. Connectez-vous, ou demandez une nouvelle invitation.',
} as const

/**
 * Registration (or account reset) from a one-time link. The browser sends public keys, wrapped keys
 * and the authSecret; the invitation is consumed in the same transaction that stores the account.
 */
export const loader = postOnly

export async function action({ request, context }: ActionFunctionArgs) {
  const limiter = context.runtime.throttles.registration
  // Every request counts (it cannot fail visibly).
  const wait = await limiter.attempt([context.clientIp])
  if (wait > 0) throw tooManyAttempts(wait)

  const body = await readJson(request, registrationRequestSchema)
  const db = context.runtime.db.db
  const lookup = await lookupInvitation(db, body.token)
  if (lookup.status !== 'valid') {
    await recordAudit(db, { type: 'account.invitation.refused', outcome: 'failure', data: { reason: lookup.status } }, { ipAddress: context.clientIp })
    throw new HttpError(lookup.status === 'unknown' ? 404 : 410, REFUSED[lookup.status])
  }
  const { invitation } = lookup
  if (invitation.purpose === 'registration' && (await findUserByEmail(db, invitation.email))) {
    throw new HttpError(409, 'Un compte existe déjà pour cette adresse : connectez-vous, ou utilisez « Mot de passe oublié ».')
  }
  const keys = await checkSubmittedKeys({ userId: invitation.userId, keys: body })
  const audit = { actorUserId: invitation.userId, ipAddress: context.clientIp }

  const outcome = await db
    .transaction(async tx => {
    if (!(await consumeInvitation(tx, invitation.id))) return 'raced' as const
    if (invitation.purpose === 'registration') {
      await insertUser(tx, {
        id: invitation.userId,
        email: invitation.email,
        displayName: body.displayName,
        profession: body.profession,
        rppsNumber: body.rppsNumber || null,
        adeliNumber: body.adeliNumber || null,
        platformRole: invitation.platformRole,
        saltSeed: invitation.saltSeed,
        kdf: body.kdf,
        ...keys,
      })
      await recordAudit(tx, { type: 'account.registered', outcome: 'success', data: { invitationId: invitation.id } }, audit)
    } else {
      await replaceAccountKeys(tx, { userId: invitation.userId, saltSeed: invitation.saltSeed, keys, kdf: body.kdf })
      const sessionsRevoked = await revokeAllSessions(tx, invitation.userId)
      await recordAudit(tx, { type: 'auth.account.reset', outcome: 'success', data: { invitationId: invitation.id, sessionsRevoked } }, audit)
    }
    return 'done' as const
    })
    // Two links for one address used at the same moment: the second account insert hits the unique e-mail.
    .catch((error: unknown) => {
      if (isUniqueViolation(error)) return 'exists' as const
      throw error
    })
  if (outcome === 'raced') throw new HttpError(410, REFUSED.used)
  if (outcome === 'exists') throw new HttpError(409, 'Un compte existe déjà pour cette adresse : connectez-vous, ou utilisez « Mot de passe oublié ».')

  const { cookie } = await createUserSession(db, { userId: invitation.userId, mfaVerified: false, userAgent: request.headers.get('user-agent') ?? '' })
  return Response.json({ next: '/compte/double-authentification' }, { headers: { 'Set-Cookie': cookie } })
}
