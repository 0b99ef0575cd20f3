import { GeneralErrorBoundary } from '#app/components/error-boundary.tsx'

/** Any unknown address: a French 404 page rendered inside the site layout. */
export function loader() {
  throw new Response('Page non trouvée', { status: 404 })
}

export function action() {
  throw new Response('Page non trouvée', { status: 404 })
}

export default function NotFound() {
  return null
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
