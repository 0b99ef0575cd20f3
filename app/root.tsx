import dsfrStyles from '@codegouvfr/react-dsfr/main.css'
import { type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Links, Meta, Outlet, Scripts, ScrollRestoration, useRouteLoaderData } from '@remix-run/react'
import { type ReactNode } from 'react'
import { getRequestSession } from '#app/auth/session.server.ts'
import { GeneralErrorBoundary } from '#app/components/error-boundary.tsx'
import { SessionTimeout } from '#app/components/session-timeout.tsx'
import { SiteLayout } from '#app/components/site-layout.tsx'
import { useNonce } from '#app/utils/nonce-provider.ts'
import '#app/utils/zod.ts'
import { getOnly } from '#app/utils/http.server.ts'

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: dsfrStyles },
  { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' },
]

export const meta: MetaFunction = () => [
  { title: 'Cellule — prévention de la maltraitance des adultes' },
  {
    name: 'description',
    content: 'Plateforme des cellules de prévention de la maltraitance des adultes : secret partagé, chiffrement de bout en bout, journal des accès.',
  },
]

/** A POST to an index page without `?index` reaches the root: GET only, a French 405. */
export const action = getOnly

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await getRequestSession(context.runtime.db.db, request)
  if (!principal) return { user: null, sessionDeadline: null, sessionIdleMinutes: null }
  const { session, user } = principal
  return {
    user: { displayName: user.displayName, platformRole: user.platformRole, secondFactorDone: session.mfaVerified },
    // Both from the strictest of the user's charters: the page warns by the limit the server applies.
    sessionDeadline: new Date(Math.min(session.expiresAt.getTime(), session.absoluteExpiresAt.getTime())).toISOString(),
    sessionIdleMinutes: session.limits.idleTimeoutMinutes,
  }
}

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce()
  // Undefined when the root loader itself failed: the error page still renders the layout.
  const rootData = useRouteLoaderData<typeof loader>('root')
  return (
    // Browser extensions may touch <html>; the warning would be theirs, not ours.
    <html lang="fr" data-fr-scheme="light" suppressHydrationWarning>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="format-detection" content="telephone=no" />
        <Meta />
        <Links />
      </head>
      <body>
        <SiteLayout user={rootData?.user ?? null}>{children}</SiteLayout>
        {rootData?.sessionDeadline && rootData.sessionIdleMinutes ? <SessionTimeout deadline={rootData.sessionDeadline} idleMinutes={rootData.sessionIdleMinutes} /> : null}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  )
}

export default function App() {
  return <Outlet />
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
