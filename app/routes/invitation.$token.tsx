import { redirect, type LoaderFunctionArgs } from '@remix-run/node'
import { getOnly } from '#app/utils/http.server.ts'

/**
 * Links issued before the token moved to the fragment (`/invitation/<token>`, valid 7 days): sent
 * on to `/invitation#<token>`, where the page reads it. The request log never shows this path's
 * token (server/errors.ts `loggablePath`).
 */
/** GET only: any other method is a French 405. */
export const action = getOnly

export function loader({ request, params }: LoaderFunctionArgs) {
  const search = new URL(request.url).search
  return redirect(`/invitation${search}#${encodeURIComponent(params.token ?? '')}`, { headers: { 'Referrer-Policy': 'no-referrer' } })
}

/** Never rendered (the loader always redirects); it makes this a page, so a POST gets the French 405 page. */
export default function LegacyInvitationLink() {
  return null
}
