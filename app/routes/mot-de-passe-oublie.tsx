import { type MetaFunction } from '@remix-run/node'
import { useNavigate } from '@remix-run/react'
import { useEffect, useState, type FormEvent } from 'react'
import { z } from 'zod'
import { isValidRecoveryCodeFormat, prepareRecovery } from '#app/auth/account-crypto.client.ts'
import { postJson } from '#app/auth/api-client.ts'
import { derivationErrorMessage } from '#app/auth/derivation-errors.client.ts'
import { rememberKdfPin } from '#app/auth/kdf-pins.client.ts'
import { type KdfPin } from '#app/auth/kdf-policy.ts'
import { prepareKdfWorker } from '#app/auth/kdf-worker.client.ts'
import { emailSchema, passwordSchema } from '#app/auth/schemas.ts'
import { Field, FormMessage, NoScriptNotice, useHydrated } from '#app/components/forms.tsx'
import { NewPasswordFields } from '#app/components/new-password-fields.tsx'
import { RecoveryCodeStep } from '#app/components/recovery-code-step.tsx'
import { getOnly } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Mot de passe oublié — Cellule' }]

const formSchema = z
  .object({
    email: emailSchema,
    recoveryCode: z.string().trim().min(1, 'Indiquez votre code de récupération.'),
    newPassword: passwordSchema,
    confirmation: z.string(),
  })
  .refine(values => values.newPassword === values.confirmation, { path: ['confirmation'], message: 'Les deux mots de passe ne correspondent pas.' })

type RecoveryParameters = { userId: string; recoveryWrappedAccountKey: string; kdf: unknown; defaultKdf: { opsLimit: number; memLimitBytes: number } }
type Prepared = { email: string; submission: Record<string, unknown>; newRecoveryCode: string; pin: KdfPin }
const NO_USER_INPUTS: string[] = []
const WRONG =
  'Adresse électronique ou code de récupération incorrect. Un code ne sert qu’une fois : si vous avez déjà récupéré votre compte avec ce code, utilisez le nouveau code qui vous a été affiché à cette occasion.'

/** GET only: any other method is a French 405. */
export const action = getOnly

export default function ForgottenPassword() {
  const navigate = useNavigate()
  const hydrated = useHydrated()
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[] | undefined>>({})
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState<string | null>(null)
  const [prepared, setPrepared] = useState<Prepared | null>(null)
  useEffect(() => prepareKdfWorker(), [])

  async function prepare(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const parsed = formSchema.safeParse(Object.fromEntries(new FormData(event.currentTarget)))
    setError(null)
    if (!parsed.success) return setFieldErrors(parsed.error.flatten().fieldErrors)
    if (!isValidRecoveryCodeFormat(parsed.data.recoveryCode)) {
      return setFieldErrors({ recoveryCode: ['Ce code contient une faute de frappe : vérifiez chaque groupe (28 caractères, 7 groupes de 4).'] })
    }
    setFieldErrors({})
    setBusy('Vérification du code et chiffrement sous le nouveau mot de passe… (quelques secondes)')
    try {
      const parameters = await postJson<RecoveryParameters>('/api/auth/recovery-parameters', { email: parsed.data.email })
      if (!parameters.ok) return setError(parameters.error)
      let result: Awaited<ReturnType<typeof prepareRecovery>>
      try {
        result = await prepareRecovery({
          userId: parameters.data.userId,
          email: parsed.data.email,
          recoveryCode: parsed.data.recoveryCode,
          newPassword: parsed.data.newPassword,
          recoveryWrappedAccountKey: parameters.data.recoveryWrappedAccountKey,
          kdf: parameters.data.kdf,
          defaultKdf: parameters.data.defaultKdf,
        })
      } catch (cause) {
        return setError(derivationErrorMessage(cause))
      }
      if (!result.ok) return setError(WRONG)
      setPrepared({ email: parsed.data.email, submission: result.submission, newRecoveryCode: result.newRecoveryCode, pin: result.pin })
    } finally {
      setBusy(null)
    }
  }

  async function submit() {
    if (!prepared) return
    setBusy('Enregistrement du nouveau mot de passe et du nouveau code…')
    try {
      const result = await postJson<{ next: string }>('/api/auth/recover', { email: prepared.email, ...prepared.submission })
      if (!result.ok) {
        setPrepared(null)
        return setError(result.status === 401 ? WRONG : result.error)
      }
      rememberKdfPin({ email: prepared.email, served: prepared.pin })
      navigate(result.data.next)
    } finally {
      setBusy(null)
    }
  }

  return (
    <div className="fr-grid-row fr-grid-row--center">
      <div className="fr-col-12 fr-col-md-8">
        <h1>Mot de passe oublié</h1>
        <NoScriptNotice />
        <FormMessage kind="error">{error}</FormMessage>
        {busy ? <FormMessage kind="info">{busy}</FormMessage> : null}
        {prepared ? (
          <>
            <p>
              Le code que vous venez d’utiliser ne servira plus : voici votre nouveau code de récupération. Votre nouveau
              mot de passe et ce code ne seront enregistrés qu’après votre confirmation.
            </p>
            <RecoveryCodeStep
              code={prepared.newRecoveryCode}
              onConfirmed={() => void submit()}
              busy={busy !== null}
              title="Votre nouveau code de récupération"
              confirmLabel="J’ai noté mon nouveau code, enregistrer"
            />
          </>
        ) : (
          <>
            <p>
              Avec votre code de récupération, choisissez un nouveau mot de passe : vos clés et vos données restent
              intactes. Un code ne sert qu’une fois : un nouveau code vous sera remis. Sans code, demandez une
              réinitialisation à l’administration de la plateforme (vous perdrez l’accès aux données chiffrées jusqu’à
              votre réadmission par chaque cellule).
            </p>
            <form onSubmit={prepare} noValidate>
              <Field label="Adresse électronique" errors={fieldErrors.email} inputProps={{ name: 'email', type: 'email', autoComplete: 'username', required: true }} />
              <Field
                label="Code de récupération"
                hint="28 caractères en 7 groupes de 4, par exemple ABCD-EFGH-…"
                errors={fieldErrors.recoveryCode}
                inputProps={{ name: 'recoveryCode', autoComplete: 'off', spellCheck: false, required: true }}
              />
              <NewPasswordFields fieldErrors={fieldErrors} userInputs={NO_USER_INPUTS} />
              <button className="fr-btn" type="submit" disabled={!hydrated || busy !== null}>
                Choisir ce nouveau mot de passe
              </button>
            </form>
          </>
        )}
      </div>
    </div>
  )
}
