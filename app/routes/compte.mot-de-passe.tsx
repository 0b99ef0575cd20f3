import { type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { useLoaderData, useNavigate } from '@remix-run/react'
import { useEffect, useMemo, useState, type FormEvent } from 'react'
import { z } from 'zod'
import { DEFAULT_KDF, findUserById } from '#db/accounts.ts'
import { preparePasswordChange } from '#app/auth/account-crypto.client.ts'
import { derivationErrorMessage } from '#app/auth/derivation-errors.client.ts'
import { rememberKdfPin } from '#app/auth/kdf-pins.client.ts'
import { prepareKdfWorker } from '#app/auth/kdf-worker.client.ts'
import { postJson } from '#app/auth/api-client.ts'
import { wipeKeys } from '#app/auth/key-store.client.ts'
import { requireSession } from '#app/access/authorize.server.ts'
import { passwordSchema } from '#app/auth/schemas.ts'
import { Field, FormMessage, NoScriptNotice, useHydrated } from '#app/components/forms.tsx'
import { NewPasswordFields } from '#app/components/new-password-fields.tsx'
import { HttpError } from '#app/access/http-error.ts'
import { getOnly } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Changer de mot de passe — Cellule' }]

/** GET only: any other method is a French 405. */
export const action = getOnly

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user: sessionUser } = await requireSession({ request, context, need: 'both-factors' })
  const user = await findUserById(context.runtime.db.db, sessionUser.id)
  if (!user) throw new HttpError(404, 'Compte introuvable')
  return {
    userId: user.id,
    email: user.email,
    wrappedAccountKey: user.wrappedAccountKey,
    kdf: { algorithm: 'argon2id13', opsLimit: user.kdfOpsLimit, memLimitBytes: user.kdfMemLimitBytes, saltSeed: user.saltSeed },
    defaultKdf: DEFAULT_KDF,
  }
}

const formSchema = z
  .object({ currentPassword: z.string().min(1, 'Indiquez votre mot de passe actuel.'), newPassword: passwordSchema, confirmation: z.string() })
  .refine(values => values.newPassword === values.confirmation, { path: ['confirmation'], message: 'Les deux mots de passe ne correspondent pas.' })
  .refine(values => values.newPassword !== values.currentPassword, { path: ['newPassword'], message: 'Le nouveau mot de passe doit différer de l’actuel.' })

export default function ChangePassword() {
  const { userId, email, wrappedAccountKey, kdf, defaultKdf } = useLoaderData<typeof loader>()
  const navigate = useNavigate()
  const hydrated = useHydrated()
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[] | undefined>>({})
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState<string | null>(null)
  const userInputs = useMemo(() => [email], [email])
  useEffect(() => prepareKdfWorker(), [])

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const parsed = formSchema.safeParse(Object.fromEntries(new FormData(event.currentTarget)))
    setError(null)
    if (!parsed.success) {
      setFieldErrors(parsed.error.flatten().fieldErrors)
      return
    }
    setFieldErrors({})
    setBusy('Chiffrement de votre clé de compte sous le nouveau mot de passe… (quelques secondes)')
    try {
      let prepared: Awaited<ReturnType<typeof preparePasswordChange>>
      try {
        prepared = await preparePasswordChange({ userId, email, currentPassword: parsed.data.currentPassword, newPassword: parsed.data.newPassword, wrappedAccountKey, kdf, defaultKdf })
      } catch (cause) {
        return setError(derivationErrorMessage(cause))
      }
      if (!prepared.ok) {
        setFieldErrors({ currentPassword: ['Mot de passe actuel incorrect.'] })
        return
      }
      const result = await postJson<{ next: string }>('/api/auth/password', prepared.submission)
      if (!result.ok) {
        setError(result.error)
        setFieldErrors(result.fieldErrors ?? {})
        return
      }
      rememberKdfPin({ email, served: prepared.pin })
      wipeKeys()
      navigate(result.data.next)
    } finally {
      setBusy(null)
    }
  }

  return (
    <div className="fr-grid-row fr-grid-row--center">
      <div className="fr-col-12 fr-col-md-8">
        <h1>Changer de mot de passe</h1>
        <p>Vos clés ne changent pas : seule leur protection par mot de passe est refaite. Toutes vos sessions seront fermées.</p>
        <NoScriptNotice />
        <FormMessage kind="error">{error}</FormMessage>
        {busy ? <FormMessage kind="info">{busy}</FormMessage> : null}
        <form onSubmit={submit} noValidate>
          <Field label="Mot de passe actuel" errors={fieldErrors.currentPassword} inputProps={{ name: 'currentPassword', type: 'password', autoComplete: 'current-password', required: true }} />
          <NewPasswordFields fieldErrors={fieldErrors} userInputs={userInputs} />
          <button className="fr-btn" type="submit" disabled={!hydrated || busy !== null}>
            Changer le mot de passe
          </button>
        </form>
      </div>
    </div>
  )
}
