import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useSearchParams } from '@remix-run/react'
import { z } from 'zod'
import { toBase64Url } from '#crypto/encoding.ts'
import { openIdentityPublic, publicKeyFingerprint } from '#crypto/identity.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { findUserById } from '#db/accounts.ts'
import { PLATFORM_SESSION_LIMITS } from '#db/sessions.ts'
import { recordAudit } from '#db/journal/record.ts'
import { findProfession } from '#charter/professions.ts'
import { requireSession } from '#app/access/authorize.server.ts'
import { blankSessionCookie, listActiveSessions, revokeOwnSession } from '#app/auth/session.server.ts'
import { pendingNoticeCount } from '#app/cells/my-cells.server.ts'
import { FormMessage } from '#app/components/forms.tsx'
import { readForm } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Mon compte — Cellule' }]

const dateFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Paris' })

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { session, user: sessionUser } = await requireSession({ request, context, need: 'both-factors' })
  const db = context.runtime.db.db
  const user = await findUserById(db, sessionUser.id)
  if (!user) throw redirect('/connexion')
  await initCrypto()
  const identity = openIdentityPublic(user.identityPublic)
  const fingerprint = toBase64Url(publicKeyFingerprint(identity)).slice(0, 16)
  const sessions = await listActiveSessions(db, user.id)
  return {
    displayName: user.displayName,
    email: user.email,
    profession: findProfession(user.profession ?? '')?.label ?? 'Non renseignée',
    needsReadmission: user.needsReadmissionSince !== null,
    // A removal or role change ended this person's sessions: « Mes cellules » says what happened.
    membershipNotices: await pendingNoticeCount(db, user.id),
    fingerprint: fingerprint.match(/.{1,4}/g)?.join(' ') ?? fingerprint,
    // What the server applies to this session (decision 018): the strictest of the user's charters.
    sessionLimits: { ...session.limits, fromCharter: session.limits.idleTimeoutMinutes < PLATFORM_SESSION_LIMITS.idleTimeoutMinutes || session.limits.absoluteSessionHours < PLATFORM_SESSION_LIMITS.absoluteSessionHours },
    sessions: sessions.map(row => ({
      id: row.id,
      current: row.id === session.id,
      createdAt: dateFormat.format(row.createdAt),
      expiresAt: dateFormat.format(row.expiresAt),
      browser: row.userAgent ? row.userAgent.replace(/\(.*?\)/g, '').slice(0, 80) : 'Navigateur inconnu',
    })),
  }
}

const revokeSchema = z.object({ intent: z.literal('revoke'), sessionId: z.string().regex(/^[0-9a-f]{64}$/) })

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, user } = await requireSession({ request, context, need: 'both-factors' })
  const db = context.runtime.db.db
  const parsed = revokeSchema.safeParse(Object.fromEntries(await readForm(request)))
  if (!parsed.success) return data({ error: 'Demande invalide.' }, { status: 400 })
  const revoked = await revokeOwnSession(db, { userId: user.id, sessionId: parsed.data.sessionId })
  if (!revoked) return data({ error: 'Cette session n’existe plus.' }, { status: 404 })
  await recordAudit(db, { type: 'auth.session.revoked', outcome: 'success', data: { reason: 'user' } }, { actorUserId: user.id, ipAddress: context.clientIp })
  if (parsed.data.sessionId === session.id) {
    throw redirect('/connexion?motif=deconnecte', { headers: { 'Set-Cookie': blankSessionCookie(db) } })
  }
  return data({ ok: true })
}

export default function Account() {
  const account = useLoaderData<typeof loader>()
  const [searchParams] = useSearchParams()
  const result = useActionData<{ error?: string; ok?: boolean }>()
  return (
    <>
      <h1>Mon compte</h1>
      {result?.error ? <FormMessage kind="error">{result.error}</FormMessage> : null}
      {result?.ok ? <FormMessage kind="success">Session révoquée.</FormMessage> : null}
      {searchParams.get('activation') === 'totp' ? (
        <FormMessage kind="success">La double authentification est activée. Elle vous sera demandée à chaque connexion.</FormMessage>
      ) : null}
      {account.membershipNotices > 0 ? (
        <FormMessage kind="info">
          Votre appartenance à une cellule a changé depuis votre dernière visite (retrait ou changement de rôle) : vos sessions ont été fermées à ce moment-là.{' '}
          <Link to="/cellules">Voir ce qui a changé dans « Mes cellules »</Link>
        </FormMessage>
      ) : null}
      {account.needsReadmission ? (
        <FormMessage kind="info">
          Votre compte a été réinitialisé : chaque cellule dont vous êtes membre doit vous réadmettre avant que vous
          retrouviez l’accès à ses données. Contactez sa coordination.
        </FormMessage>
      ) : null}
      <dl>
        <dt className="fr-text--bold">Nom</dt>
        <dd>{account.displayName}</dd>
        <dt className="fr-text--bold">Adresse électronique</dt>
        <dd>{account.email}</dd>
        <dt className="fr-text--bold">Profession</dt>
        <dd>{account.profession}</dd>
        <dt className="fr-text--bold">Durée de vos sessions</dt>
        <dd data-testid="limites-session">
          Déconnexion après {account.sessionLimits.idleTimeoutMinutes} minutes sans activité, et au plus tard {account.sessionLimits.absoluteSessionHours} heures après la connexion
          {account.sessionLimits.fromCharter ? ' (règle la plus stricte des chartes de vos cellules).' : ' (limites de la plateforme).'}
        </dd>
        <dt className="fr-text--bold">Empreinte de vos clés</dt>
        <dd>
          <code data-testid="empreinte">{account.fingerprint}</code>
        </dd>
      </dl>
      <ul className="fr-btns-group fr-btns-group--inline-md">
        <li>
          <Link className="fr-btn fr-btn--secondary" to="/compte/mot-de-passe">
            Changer mon mot de passe
          </Link>
        </li>
      </ul>

      <h2>Sessions actives</h2>
      <div className="fr-table">
        <table>
          <caption className="fr-sr-only">Vos sessions ouvertes</caption>
          <thead>
            <tr>
              <th scope="col">Navigateur</th>
              <th scope="col">Ouverte le</th>
              <th scope="col">Expire le (sans activité)</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {account.sessions.map(session => (
              <tr key={session.id}>
                <td>
                  {session.browser}
                  {session.current ? <strong> (cette session)</strong> : null}
                </td>
                <td>{session.createdAt}</td>
                <td>{session.expiresAt}</td>
                <td>
                  <Form method="post">
                    <input type="hidden" name="intent" value="revoke" />
                    <input type="hidden" name="sessionId" value={session.id} />
                    <button className="fr-btn fr-btn--sm fr-btn--tertiary" type="submit">
                      {session.current ? 'Fermer cette session' : 'Révoquer'}
                      <span className="fr-sr-only"> : session ouverte le {session.createdAt}</span>
                    </button>
                  </Form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  )
}

