import { type LoaderFunctionArgs } from '@remix-run/node'
import { findUserById } from '#db/accounts.ts'
import { requireSession } from '#app/access/authorize.server.ts'
import { HttpError } from '#app/access/http-error.ts'
import { getOnly } from '#app/utils/http.server.ts'


/** Wrapped keys and KDF parameters, so a signed-in browser that lost its memory (reload) can unlock again. */
/** GET only: any other method is a French 405. */
export const action = getOnly

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user: sessionUser } = await requireSession({ request, context, need: 'both-factors' })
  const user = await findUserById(context.runtime.db.db, sessionUser.id)
  if (!user) throw new HttpError(401, 'Compte introuvable.')
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
