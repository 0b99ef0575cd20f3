import { redirect, type ActionFunctionArgs } from '@remix-run/node'
import { recordAudit } from '#db/journal/record.ts'
import { blankSessionCookie, getRequestSession, revokeSession } from '#app/auth/session.server.ts'
import { database } from '#app/utils/db.server.ts'

export async function loader() {
  // Logging out changes state, so it is never a GET.
  throw redirect('/')
}

export async function action({ request, context }: ActionFunctionArgs) {
  const principal = await getRequestSession(request)
  if (principal) {
    await revokeSession(principal.session.id)
    await recordAudit(database(), { type: 'auth.session.revoked', outcome: 'success', data: { reason: 'logout' } }, { actorUserId: principal.user.id, ipAddress: context.clientIp })
  }
  throw redirect('/connexion?motif=deconnecte', { headers: { 'Set-Cookie': blankSessionCookie() } })
}
