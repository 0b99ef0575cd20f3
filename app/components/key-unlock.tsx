import { useState, type FormEvent, type ReactNode } from 'react'
import { unlockWithPassword } from '#app/auth/account-crypto.client.ts'
import { unlockedKeys } from '#app/auth/key-store.client.ts'
import { UNLOCK_FAILURE_MESSAGES } from '#app/auth/labels.ts'
import { mergeRosterPinsAfterUnlock } from '#app/cells/roster-pins-sync.ts'
import { Field, FormMessage, useHydrated } from './forms.tsx'

/**
 * Shows its children once this tab holds the unlocked keys; otherwise asks for the password
 * (keys live in memory only, so a reload loses them). The password never leaves the browser.
 */
export function KeyUnlock({
  children,
  locked,
}: {
  children: (keys: NonNullable<ReturnType<typeof unlockedKeys>>) => ReactNode
  /** What the page shows instead of the children while the keys are locked (above the password form). */
  locked?: ReactNode
}) {
  const [, setVersion] = useState(0)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const hydrated = useHydrated()
  // The server never has keys: render the same placeholder on both sides, then decide.
  if (!hydrated) {
    return (
      <>
        {locked}
        <p>Chargement de vos clés…</p>
      </>
    )
  }
  const keys = unlockedKeys()
  if (keys) return <>{children(keys)}</>

  async function unlock(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const password = String(new FormData(event.currentTarget).get('password') ?? '')
    if (!password) return setError('Indiquez votre mot de passe.')
    setBusy(true)
    setError(null)
    try {
      const result = await unlockWithPassword({ password })
      if (!result.ok) return setError(UNLOCK_FAILURE_MESSAGES[result.failure])
      await mergeRosterPinsAfterUnlock(unlockedKeys())
      setVersion(version => version + 1)
    } finally {
      setBusy(false)
    }
  }

  return (
    <>
      {locked}
      <section className="fr-mb-4w" aria-labelledby="deverrouillage-titre">
        <h2 id="deverrouillage-titre" className="fr-h4">
          Déverrouiller vos clés
        </h2>
        <p>
          Vos clés de chiffrement ne sont gardées qu’en mémoire, dans cet onglet : après un rechargement de la page,
          saisissez de nouveau votre mot de passe. Il ne quitte pas votre navigateur.
        </p>
        <FormMessage kind="error">{error}</FormMessage>
        {busy ? <FormMessage kind="info">Calcul de vos clés en cours…</FormMessage> : null}
        <form onSubmit={unlock} noValidate>
          <Field label="Mot de passe" inputProps={{ name: 'password', type: 'password', autoComplete: 'current-password', required: true }} />
          <button className="fr-btn" type="submit" disabled={busy}>
            Déverrouiller
          </button>
        </form>
      </section>
    </>
  )
}
