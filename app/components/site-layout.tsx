import { Footer } from '@codegouvfr/react-dsfr/Footer'
import { Header } from '@codegouvfr/react-dsfr/Header'
import { setLink } from '@codegouvfr/react-dsfr/link'
import { SkipLinks } from '@codegouvfr/react-dsfr/SkipLinks'
import { Form, Link } from '@remix-run/react'
import { useEffect, type ReactNode } from 'react'
import { wipeKeys } from '#app/auth/key-store.client.ts'

// The server render needs Remix's Link too (startReactDsfr only registers it in the browser).
setLink({ Link: Link as Parameters<typeof setLink>[0]['Link'] })

const brandTop = (
  <>
    République
    <br />
    Française
  </>
)

type LayoutUser = { displayName: string; platformRole: string; secondFactorDone: boolean } | null

function accountItems(user: LayoutUser) {
  if (!user) return [{ iconId: 'fr-icon-lock-line' as const, text: 'Se connecter', linkProps: { to: '/connexion' } }]
  return [
    ...(user.secondFactorDone ? [{ iconId: 'fr-icon-team-line' as const, text: 'Mes cellules', linkProps: { to: '/cellules' } }] : []),
    { iconId: 'fr-icon-account-circle-line' as const, text: user.displayName, linkProps: { to: '/compte' } },
    <Form key="logout" method="post" action="/deconnexion" onSubmit={() => wipeKeys()}>
      <button type="submit" className="fr-btn fr-icon-logout-box-r-line">
        Se déconnecter
      </button>
    </Form>,
  ]
}

/**
 * Remix mounts a new layout when a page switches to its error boundary (a 403) and back, and the
 * DSFR script no longer instruments the new header: its menu keeps react-dsfr's `aria-labelledby`
 * without the dialog role the script would add on small screens (axe aria-prohibited-attr, issue 12).
 * An uninstrumented menu is a plain block, so it loses the name only a dialog may carry, as the
 * script itself does when it turns the modal off on wide screens.
 */
function useHeaderMenuValidWithoutScript() {
  useEffect(() => {
    const timer = window.setTimeout(() => {
      for (const modal of document.querySelectorAll('#fr-header .fr-modal:not([data-fr-js-modal])')) modal.removeAttribute('aria-labelledby')
    }, 100)
    return () => window.clearTimeout(timer)
  }, [])
}

export function SiteLayout({ children, user }: { children: ReactNode; user: LayoutUser }) {
  useHeaderMenuValidWithoutScript()
  return (
    <>
      <SkipLinks
        links={[
          { label: 'Contenu', anchor: '#contenu' },
          { label: 'Pied de page', anchor: '#pied-de-page' },
        ]}
      />
      <Header
        brandTop={brandTop}
        serviceTitle="Cellule"
        serviceTagline="Prévention de la maltraitance des adultes, en secret partagé"
        homeLinkProps={{ to: '/', title: 'Accueil — Cellule' }}
        quickAccessItems={accountItems(user)}
      />
      <main id="contenu" tabIndex={-1} className="fr-container fr-py-6w">
        {children}
      </main>
      <Footer
        id="pied-de-page"
        brandTop={brandTop}
        homeLinkProps={{ to: '/', title: 'Accueil — Cellule' }}
        accessibility="non compliant"
        accessibilityLinkProps={{ to: '/accessibilite' }}
        termsLinkProps={{ to: '/mentions-legales' }}
        contentDescription="Cellule héberge les cellules de prévention de la maltraitance des adultes. Le contenu des situations est chiffré de bout en bout : le serveur ne peut pas le lire."
      />
    </>
  )
}
