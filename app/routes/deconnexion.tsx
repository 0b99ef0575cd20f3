import { redirect, type ActionFunctionArgs } from '@remix-run/node'
import { recordAudit } from '#db/journal/record.ts'
import { blankSessionCookie, getRequestSession, revokeSession } from '#app/auth/session.server.ts'

export async function loader() {
  // Logging out changes state, so it is never a GET.
  throw redirect('/')
}

export async function action({ request, context }: ActionFunctionArgs) {
  const db = context.runtime.db.db
  const principal = await getRequestSession(db, request)
  if (principal) {
    await revokeSession(db, principal.session.id)
    await recordAudit(db, { type: 'auth.session.revoked', outcome: 'success', data: { reason: 'logout' } }, { actorUserId: principal.user.id, ipAddress: context.clientIp })
  }
  throw redirect('/connexion?motif=deconnecte', { headers: { 'Set-Cookie': blankSessionCookie(db) } })
}
