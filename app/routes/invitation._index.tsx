import { type MetaFunction } from '@remix-run/node'
import { Link } from '@remix-run/react'
import { useEffect, useState } from 'react'
import { Registration, type InvitationDetails } from '#app/auth/registration-form.tsx'
import { NoScriptNotice } from '#app/components/forms.tsx'
import { getOnly } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Création de votre compte — Cellule' }]

type Lookup =
  | { state: 'reading' }
  | { state: 'refused'; title: string; body: string }
  | { state: 'valid'; token: string; details: InvitationDetails }

const MISSING = {
  state: 'refused',
  title: 'Lien d’invitation incomplet',
  body: 'Ce lien ne contient pas de code d’invitation : il a sans doute été coupé en le copiant. Ouvrez le lien reçu en entier, ou demandez une nouvelle invitation à la personne qui vous l’a envoyé.',
} as const

/** The token after `#` (or `#jeton=`): the browser never sends the fragment to the server. */
function tokenFromFragment(): string {
  const fragment = decodeURIComponent(window.location.hash.replace(/^#/, ''))
  return fragment.startsWith('jeton=') ? fragment.slice('jeton='.length) : fragment
}

/**
 * Account creation from a one-time link `/invitation#<token>`. The page reads the token from the
 * fragment and asks the server about it in a POST body, so the secret never appears in a URL that
 * a server, a proxy or a request log records.
 */
/** GET only: any other method is a French 405. */
export const action = getOnly

export default function InvitationPage() {
  const [lookup, setLookup] = useState<Lookup>({ state: 'reading' })

  useEffect(() => {
    const token = tokenFromFragment()
    if (!token) {
      setLookup(MISSING)
      return
    }
    let cancelled = false
    void (async () => {
      try {
        const response = await fetch('/api/auth/invitation', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ token }),
          credentials: 'same-origin',
        })
        const payload = (await response.json().catch(() => ({}))) as Partial<InvitationDetails> & { error?: string; title?: string }
        if (cancelled) return
        if (response.ok) setLookup({ state: 'valid', token, details: payload as InvitationDetails })
        else
          setLookup({
            state: 'refused',
            title: payload.title ?? (response.status === 429 ? 'Trop de tentatives' : 'Lien d’invitation inutilisable'),
            body: payload.error ?? `Le serveur a refusé le lien (erreur ${response.status}). Réessayez plus tard ou demandez une nouvelle invitation.`,
          })
      } catch {
        if (!cancelled) setLookup({ state: 'refused', title: 'Serveur injoignable', body: 'Le serveur ne répond pas. Vérifiez votre connexion, puis rechargez la page.' })
      }
    })()
    return () => {
      cancelled = true
    }
  }, [])

  if (lookup.state === 'valid') return <Registration token={lookup.token} {...lookup.details} />
  if (lookup.state === 'refused') {
    return (
      <>
        <h1>{lookup.title}</h1>
        <p className="fr-text--lead">{lookup.body}</p>
        <Link className="fr-btn" to="/connexion">
          Aller à la connexion
        </Link>
      </>
    )
  }
  return (
    <>
      <h1>Création de votre compte</h1>
      <NoScriptNotice />
      <p role="status">Vérification du lien d’invitation…</p>
    </>
  )
}
