import { GeneralErrorBoundary } from '#app/components/error-boundary.tsx'
import { HttpError } from '#app/access/http-error.ts'

/** Any unknown address: a French 404 page rendered inside the site layout. */
export function loader() {
  throw new HttpError(404, 'Page non trouvée')
}

export function action() {
  throw new HttpError(404, 'Page non trouvée')
}

export default function NotFound() {
  return null
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
