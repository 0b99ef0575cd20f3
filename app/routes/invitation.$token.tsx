import { redirect, type LoaderFunctionArgs } from '@remix-run/node'

/**
 * Links issued before the token moved to the fragment (`/invitation/<token>`, valid 7 days): sent
 * on to `/invitation#<token>`, where the page reads it. The request log never shows this path's
 * token (server/errors.ts `loggablePath`).
 */
export function loader({ request, params }: LoaderFunctionArgs) {
  const search = new URL(request.url).search
  return redirect(`/invitation${search}#${encodeURIComponent(params.token ?? '')}`, { headers: { 'Referrer-Policy': 'no-referrer' } })
}

/** Never rendered (the loader always redirects); it makes this a page, so a POST gets the French 405 page. */
export default function LegacyInvitationLink() {
  return null
}
