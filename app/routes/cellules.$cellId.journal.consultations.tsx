import { data, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { requireCellPermission } from '#app/access/authorize.server.ts'
import { CellNav } from '#app/components/cell-nav.tsx'
import { FormMessage } from '#app/components/forms.tsx'
import { SignCharterBanner } from '#app/journal/components/sign-charter-banner.tsx'
import { ResourcePicker } from '#app/journal/components/resource-picker.tsx'
import { ResourceViewers } from '#app/journal/components/resource-viewers.tsx'
import { resourceSchema } from '#app/journal/schemas.ts'
import { loadViewersPage } from '#app/journal/viewers.server.ts'
import { getOnly } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Qui a consulté cette ressource ? — Journal d’accès — Cellule' }]

/** "Qui a consulté cette ressource": for the DPO, every access to one resource of the cell, by person. */
/** GET only: any other method is a French 405. */
export const action = getOnly

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const requested = new URL(request.url).searchParams.get('ressource') ?? ''
  const parsed = requested === '' ? null : resourceSchema.safeParse(requested)
  const resource = parsed?.success ? parsed.data : null
  const principal = await requireCellPermission({
    request,
    context,
    cellId: params.cellId ?? '',
    action: 'cell:audit:read',
    audit: { action: 'audit.resource_viewers.read', resource: 'journal', ...(resource ? { data: { resource } } : {}) },
  })
  const error = parsed && !parsed.success ? (parsed.error.issues[0]?.message ?? 'Ressource inconnue.') : null
  const page = await loadViewersPage({ db: context.runtime.db.db, principal, resource, error })
  return data(page, { status: error ? 400 : 200 })
}

export default function ResourceViewersPage() {
  const page = useLoaderData<typeof loader>()
  return (
    <>
      <CellNav cellId={page.cell.id} cellName={page.cell.name} allowed={page.nav} />
      <p className="fr-mb-1w">
        <Link to={`/cellules/${page.cell.id}/journal`}>← Journal d’accès</Link>
      </p>
      <h1>Qui a consulté cette ressource ?</h1>
      {page.mustSignCharter ? <SignCharterBanner cellId={page.cell.id} /> : null}
      {page.error ? <FormMessage kind="error">{page.error}</FormMessage> : null}
      <ResourcePicker resource={page.resource} resources={page.resources} />
      {page.resource ? <ResourceViewers resourceName={page.resourceName} viewers={page.viewers} events={page.events} truncated={page.truncated} /> : null}
    </>
  )
}
