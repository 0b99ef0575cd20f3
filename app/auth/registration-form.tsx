import { useNavigate } from '@remix-run/react'
import { useEffect, useMemo, useState, type FormEvent } from 'react'
import { PROFESSIONS } from '#charter/professions.ts'
import { prepareAccount } from '#app/auth/account-crypto.client.ts'
import { rememberKdfPin } from '#app/auth/kdf-pins.client.ts'
import { type KdfPin } from '#app/auth/kdf-policy.ts'
import { prepareKdfWorker } from '#app/auth/kdf-worker.client.ts'
import { safeRedirect } from '#app/auth/redirect.ts'
import { postJson } from '#app/auth/api-client.ts'
import { registrationFormSchema } from '#app/auth/schemas.ts'
import { Field, FormMessage, NoScriptNotice, SelectField, useHydrated } from '#app/components/forms.tsx'
import { PasswordStrength } from '#app/components/password-strength.tsx'
import { RecoveryCodeStep } from '#app/components/recovery-code-step.tsx'

export type InvitationDetails = {
  purpose: 'registration' | 'account_reset'
  email: string
  userId: string
  existing: { displayName: string; profession: string; rppsNumber: string; adeliNumber: string } | null
  kdf: { algorithm: 'argon2id13'; opsLimit: number; memLimitBytes: number; saltSeed: string }
}

type RegistrationProps = InvitationDetails & { token: string }

/** Account creation (or reset) from a one-time link; the token came in the link's fragment. */
export function Registration({ token, purpose, email, userId, existing, kdf }: RegistrationProps) {
  const navigate = useNavigate()
  const hydrated = useHydrated()
  const [password, setPassword] = useState('')
  const [profession, setProfession] = useState(existing?.profession ?? '')
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[] | undefined>>({})
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState<string | null>(null)
  const [prepared, setPrepared] = useState<{ body: Record<string, unknown>; recoveryCode: string; pin: KdfPin; lowMemory: boolean } | null>(null)
  const userInputs = useMemo(() => [email, ...email.split(/[@.]/)], [email])
  const identifier = PROFESSIONS.find(candidate => candidate.code === profession)?.identifier ?? null
  const isReset = purpose === 'account_reset'
  useEffect(() => prepareKdfWorker(), [])

  async function prepare(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = Object.fromEntries(new FormData(event.currentTarget)) as Record<string, string>
    const parsed = registrationFormSchema.safeParse(form)
    setError(null)
    if (!parsed.success) {
      setFieldErrors(parsed.error.flatten().fieldErrors)
      setError('Le formulaire contient des erreurs : corrigez les champs signalés.')
      return
    }
    setFieldErrors({})
    setBusy('Création de vos clés de chiffrement dans votre navigateur… (quelques secondes)')
    try {
      const { password: secretPassword, passwordConfirmation: _confirmation, ...identity } = parsed.data
      const { submission, recoveryCode, pin, lowMemory } = await prepareAccount({ userId, email, password: secretPassword, kdf })
      setPrepared({ body: { ...identity, ...submission }, recoveryCode, pin, lowMemory })
    } catch (cause) {
      setError(cause instanceof Error ? cause.message : 'La création des clés a échoué.')
    } finally {
      setBusy(null)
    }
  }

  async function submit() {
    if (!prepared) return
    setBusy('Enregistrement de votre compte…')
    try {
      const result = await postJson<{ next: string }>('/api/auth/register', { token, ...prepared.body })
      if (!result.ok) {
        setError(result.error)
        setFieldErrors(result.fieldErrors ?? {})
        setPrepared(null)
        return
      }
      // This device now knows the account's KDF cost and seed: a later login refuses anything weaker.
      rememberKdfPin({ email, served: prepared.pin })
      // After the account, the cell invitation that brought the person here (same-site paths only).
      const suite = safeRedirect(new URLSearchParams(window.location.search).get('suite'), '')
      navigate(suite ? `${result.data.next}?suite=${encodeURIComponent(suite)}` : result.data.next)
    } finally {
      setBusy(null)
    }
  }

  return (
    <div className="fr-grid-row fr-grid-row--center">
      <div className="fr-col-12 fr-col-md-10 fr-col-lg-8">
        <h1>{isReset ? 'Réinitialisation de votre compte' : 'Création de votre compte'}</h1>
        {isReset ? (
          <FormMessage kind="info">
            Vous avez perdu votre mot de passe et votre code de récupération. Cette réinitialisation vous rend l’accès à
            Cellule avec de nouvelles clés, mais ne permet pas de relire ce qui a été chiffré avec les anciennes. Chaque
            cellule dont vous êtes membre devra vous réadmettre : sa coordination vérifiera votre nouvelle identité en
            personne.
          </FormMessage>
        ) : null}
        <NoScriptNotice />
        <FormMessage kind="error">{error}</FormMessage>
        {busy ? <FormMessage kind="info">{busy}</FormMessage> : null}
        {prepared?.lowMemory ? (
          <FormMessage kind="info">
            Votre appareil dispose de peu de mémoire : vos clés ont été calculées avec le niveau de protection minimal de
            Cellule. Elles seront renforcées la prochaine fois que vous changerez de mot de passe depuis un appareil mieux
            équipé.
          </FormMessage>
        ) : null}
        {prepared ? (
          <RecoveryCodeStep code={prepared.recoveryCode} onConfirmed={() => void submit()} busy={busy !== null} />
        ) : (
          <form onSubmit={prepare} noValidate>
            <p>
              Compte pour <strong>{email}</strong>
            </p>
            <Field
              label="Prénom et nom"
              errors={fieldErrors.displayName}
              inputProps={{ name: 'displayName', autoComplete: 'name', required: true, defaultValue: existing?.displayName, readOnly: isReset }}
            />
            <SelectField
              label="Profession"
              hint="Elle détermine, selon la charte et l’article R1110-2 du code de la santé publique, votre accès aux données nominatives."
              errors={fieldErrors.profession}
              options={PROFESSIONS.map(candidate => ({ value: candidate.code, label: candidate.label }))}
              selectProps={{ name: 'profession', required: true, value: profession, onChange: event => setProfession(event.target.value), disabled: isReset }}
            />
            {isReset ? <input type="hidden" name="profession" value={profession} /> : null}
            {identifier === 'rpps' || identifier === 'rpps_or_adeli' ? (
              <Field
                label="Numéro RPPS"
                hint="11 chiffres, inscrit sur votre carte CPS."
                errors={fieldErrors.rppsNumber}
                inputProps={{ name: 'rppsNumber', inputMode: 'numeric', maxLength: 11, defaultValue: existing?.rppsNumber, readOnly: isReset }}
              />
            ) : null}
            {identifier === 'adeli' || identifier === 'rpps_or_adeli' ? (
              <Field
                label="Numéro ADELI"
                hint="9 chiffres."
                errors={fieldErrors.adeliNumber}
                inputProps={{ name: 'adeliNumber', inputMode: 'numeric', maxLength: 9, defaultValue: existing?.adeliNumber, readOnly: isReset }}
              />
            ) : null}
            <Field
              label="Mot de passe"
              hint="Au moins 12 caractères. Une phrase de plusieurs mots est à la fois robuste et facile à retenir."
              errors={fieldErrors.password}
              inputProps={{ name: 'password', type: 'password', autoComplete: 'new-password', required: true, onChange: event => setPassword(event.target.value), 'aria-describedby': 'robustesse' }}
            />
            <PasswordStrength password={password} userInputs={userInputs} id="robustesse" />
            <Field
              label="Confirmation du mot de passe"
              errors={fieldErrors.passwordConfirmation}
              inputProps={{ name: 'passwordConfirmation', type: 'password', autoComplete: 'new-password', required: true }}
            />
            <button className="fr-btn" type="submit" disabled={!hydrated || busy !== null}>
              Continuer
            </button>
          </form>
        )}
      </div>
    </div>
  )
}
