import { redirect, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData, useNavigate } from '@remix-run/react'
import { useEffect, useRef, useState, type FormEvent } from 'react'
import { deriveLoginSecrets, KdfDowngradeRefused, pinOf, unlockKeys } from '#app/auth/account-crypto.client.ts'
import { postJson } from '#app/auth/api-client.ts'
import { derivationErrorMessage } from '#app/auth/derivation-errors.client.ts'
import { forgetKdfPin, rememberKdfPin } from '#app/auth/kdf-pins.client.ts'
import { prepareKdfWorker } from '#app/auth/kdf-worker.client.ts'
import { UNLOCK_FAILURE_MESSAGES } from '#app/auth/labels.ts'
import { unlockedKeys } from '#app/auth/key-store.client.ts'
import { mergeRosterPinsAfterUnlock } from '#app/cells/roster-pins-sync.ts'
import { getRequestSession } from '#app/auth/session.server.ts'
import { emailSchema, totpCodeSchema } from '#app/auth/schemas.ts'
import { safeRedirect } from '#app/auth/redirect.ts'
import { Field, FormMessage, NoScriptNotice, useHydrated } from '#app/components/forms.tsx'
import { WeakenedParametersAlert } from '#app/components/weakened-parameters-alert.tsx'
import { getOnly } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Connexion — Cellule' }]

const NOTICES: Record<string, string> = {
  'mot-de-passe-modifie': 'Votre mot de passe a été modifié et toutes vos sessions ont été fermées. Connectez-vous avec le nouveau mot de passe.',
  'compte-recupere': 'Votre mot de passe a été remplacé grâce au code de récupération. Vos données sont intactes. Connectez-vous.',
  'session-expiree': 'Votre session a expiré après une période d’inactivité. Connectez-vous de nouveau.',
  deconnecte: 'Vous êtes déconnecté(e). Les clés de chiffrement ont été effacées de ce navigateur.',
}

/** GET only: any other method is a French 405. */
export const action = getOnly

export async function loader({ request, context }: LoaderFunctionArgs) {
  const url = new URL(request.url)
  const redirectTo = safeRedirect(url.searchParams.get('redirectTo'))
  const principal = await getRequestSession(context.runtime.db.db, request)
  if (principal?.session.mfaVerified) throw redirect(redirectTo)
  const awaitingSecondFactor = Boolean(principal?.user.totpEnabled) && url.searchParams.get('etape') === 'totp'
  return { redirectTo, awaitingSecondFactor, notice: NOTICES[url.searchParams.get('motif') ?? ''] ?? null }
}

type Step = 'credentials' | 'totp'
type PreLogin = { algorithm: string; opsLimit: number; memLimitBytes: number; saltSeed: string }
type Keys = { userId: string; wrappedAccountKey: string; wrappedIdentitySecrets: string }
type LoginAnswer = { next: 'totp' } | ({ next: 'enroll' } & Keys)

export default function Login() {
  const { redirectTo, awaitingSecondFactor, notice } = useLoaderData<typeof loader>()
  const navigate = useNavigate()
  const hydrated = useHydrated()
  const [step, setStep] = useState<Step>(awaitingSecondFactor ? 'totp' : 'credentials')
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({})
  const [refusedFor, setRefusedFor] = useState<string | null>(null)
  const keyEncryptionKey = useRef<Uint8Array | null>(null)
  useEffect(() => prepareKdfWorker(), [])
  // Leaving the page (or the tab) mid-login: the KEK does not outlive it.
  useEffect(() => () => forgetHeldKey(), [])

  function forgetHeldKey() {
    keyEncryptionKey.current?.fill(0)
    keyEncryptionKey.current = null
  }

  /** Opens the keys with the KEK held since the password step, then forgets the KEK. */
  function unlockWithHeldKey(keys: Keys): boolean {
    if (!keyEncryptionKey.current) return true
    const unlocked = unlockKeys({ ...keys, keyEncryptionKey: keyEncryptionKey.current })
    forgetHeldKey()
    if (!unlocked.ok) setError(UNLOCK_FAILURE_MESSAGES[unlocked.failure])
    return unlocked.ok
  }

  async function submitCredentials(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const email = String(form.get('email') ?? '')
    const password = String(form.get('password') ?? '')
    const parsedEmail = emailSchema.safeParse(email)
    const errors: Record<string, string[]> = {}
    if (!parsedEmail.success) errors.email = parsedEmail.error.issues.map(issue => issue.message)
    if (!password) errors.password = ['Indiquez votre mot de passe.']
    setFieldErrors(errors)
    setError(null)
    setRefusedFor(null)
    if (Object.keys(errors).length > 0 || !parsedEmail.success) return

    setBusy('Vérification en cours : votre navigateur calcule vos clés (environ une seconde)…')
    try {
      const parameters = await postJson<PreLogin>('/api/auth/pre-login', { email: parsedEmail.data })
      if (!parameters.ok) return setError(parameters.error)
      let secrets: Awaited<ReturnType<typeof deriveLoginSecrets>>
      try {
        secrets = await deriveLoginSecrets({ email: parsedEmail.data, password, kdf: parameters.data })
      } catch (cause) {
        // Weak parameters, or weaker than this device saw: refused before anything is sent.
        if (cause instanceof KdfDowngradeRefused) return setRefusedFor(parsedEmail.data)
        return setError(derivationErrorMessage(cause))
      }
      forgetHeldKey()
      keyEncryptionKey.current = secrets.keyEncryptionKey
      const login = await postJson<LoginAnswer>('/api/auth/login', { email: parsedEmail.data, authSecret: secrets.authSecret })
      if (!login.ok) {
        forgetHeldKey()
        return setError(login.error)
      }
      rememberKdfPin({ email: parsedEmail.data, served: pinOf(secrets.kdf) })
      if (login.data.next === 'enroll') {
        // No second factor yet: the keys open now, while the password is in hand (issue 12, item 7).
        if (!unlockWithHeldKey(login.data)) return
        return navigate(redirectTo === '/compte' ? '/compte/double-authentification' : `/compte/double-authentification?suite=${encodeURIComponent(redirectTo)}`)
      }
      setStep('totp')
    } finally {
      setBusy(null)
    }
  }

  async function submitCode(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const code = totpCodeSchema.safeParse(String(new FormData(event.currentTarget).get('code') ?? ''))
    setError(null)
    if (!code.success) return setFieldErrors({ code: code.error.issues.map(issue => issue.message) })
    setFieldErrors({})
    setBusy('Vérification du code…')
    try {
      const result = await postJson<Keys>('/api/auth/totp', { code: code.data })
      if (!result.ok) return setError(result.error)
      if (!unlockWithHeldKey(result.data)) return
      // The roster pins this account synced from its other devices (decision 022).
      await mergeRosterPinsAfterUnlock(unlockedKeys())
      navigate(redirectTo)
    } finally {
      setBusy(null)
    }
  }

  return (
    <div className="fr-grid-row fr-grid-row--center">
      <div className="fr-col-12 fr-col-md-8 fr-col-lg-6">
        <h1>Connexion</h1>
        {notice ? <FormMessage kind="info">{notice}</FormMessage> : null}
        <NoScriptNotice />
        <FormMessage kind="error">{error}</FormMessage>
        {refusedFor ? (
          <WeakenedParametersAlert
            onForget={() => {
              forgetKdfPin(refusedFor)
              setRefusedFor(null)
            }}
          />
        ) : null}
        {busy ? <FormMessage kind="info">{busy}</FormMessage> : null}
        {step === 'credentials' ? (
          <form onSubmit={submitCredentials} noValidate aria-describedby="connexion-aide">
            <p id="connexion-aide" className="fr-text--sm">
              Votre mot de passe ne quitte jamais votre navigateur : il sert à calculer vos clés de chiffrement.
            </p>
            <Field label="Adresse électronique" errors={fieldErrors.email} inputProps={{ name: 'email', type: 'email', autoComplete: 'username', required: true }} />
            <Field label="Mot de passe" errors={fieldErrors.password} inputProps={{ name: 'password', type: 'password', autoComplete: 'current-password', required: true }} />
            <button className="fr-btn" type="submit" disabled={!hydrated || busy !== null}>
              Se connecter
            </button>
            <p className="fr-mt-3w">
              <Link to="/mot-de-passe-oublie">Mot de passe oublié ?</Link>
            </p>
          </form>
        ) : (
          <form onSubmit={submitCode} noValidate>
            <h2 className="fr-h4">Double authentification</h2>
            <Field
              label="Code à 6 chiffres"
              hint="Ouvrez votre application d’authentification et saisissez le code affiché pour Cellule."
              errors={fieldErrors.code}
              inputProps={{ name: 'code', inputMode: 'numeric', autoComplete: 'one-time-code', pattern: '[0-9]{6}', maxLength: 6, required: true, autoFocus: true }}
            />
            <button className="fr-btn" type="submit" disabled={!hydrated || busy !== null}>
              Valider le code
            </button>
          </form>
        )}
      </div>
    </div>
  )
}
