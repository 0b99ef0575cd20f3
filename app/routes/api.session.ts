import { type ActionFunctionArgs } from '@remix-run/node'
import { type Database } from '#db/database.ts'
import { getRequestSession } from '#app/auth/session.server.ts'
import { postOnly } from '#app/utils/http.server.ts'

/** "Rester connecté": a POST is activity, which extends the idle deadline; answers the new deadline. */
async function sessionStatus(db: Database, request: Request) {
  const principal = await getRequestSession(db, request)
  if (!principal) return Response.json({ active: false })
  const deadline = Math.min(principal.session.expiresAt.getTime(), principal.session.absoluteExpiresAt.getTime())
  return Response.json({ active: true, expiresAt: new Date(deadline).toISOString() })
}

export const loader = postOnly

export async function action({ request, context }: ActionFunctionArgs) {
  return sessionStatus(context.runtime.db.db, request)
}
