import { Footer } from '@codegouvfr/react-dsfr/Footer'
import { Header } from '@codegouvfr/react-dsfr/Header'
import { setLink } from '@codegouvfr/react-dsfr/link'
import { SkipLinks } from '@codegouvfr/react-dsfr/SkipLinks'
import { Form, Link } from '@remix-run/react'
import { type ReactNode } from 'react'
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

export function SiteLayout({ children, user }: { children: ReactNode; user: LayoutUser }) {
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
