import { type LoaderFunctionArgs } from '@remix-run/node'
import { findUserById } from '#db/accounts.ts'
import { requireApiSession } from '#app/auth/guards.server.ts'
import { database } from '#app/utils/db.server.ts'
import { jsonError } from '#app/utils/http.server.ts'

/** Wrapped keys and KDF parameters, so a signed-in browser that lost its memory (reload) can unlock again. */
export async function loader({ request }: LoaderFunctionArgs) {
  const { user: sessionUser } = await requireApiSession(request, { secondFactor: true })
  const user = await findUserById(database(), sessionUser.id)
  if (!user) return jsonError(401, 'Compte introuvable.')
  return Response.json(
    {
      userId: user.id,
      email: user.email,
      wrappedAccountKey: user.wrappedAccountKey,
      wrappedIdentitySecrets: user.wrappedIdentitySecrets,
      kdf: { algorithm: 'argon2id13', opsLimit: user.kdfOpsLimit, memLimitBytes: user.kdfMemLimitBytes, saltSeed: user.saltSeed },
    }
  )
}
