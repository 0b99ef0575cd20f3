import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useActionData, useLoaderData } from '@remix-run/react'
import { failClosed, requireCellPermission } from '#app/access/authorize.server.ts'
import { CellNav } from '#app/components/cell-nav.tsx'
import { FormMessage } from '#app/components/forms.tsx'
import { AlertList, type ReviewAnswer } from '#app/journal/components/alert-list.tsx'
import { IntegrityCallout } from '#app/journal/components/integrity-callout.tsx'
import { SignCharterBanner } from '#app/journal/components/sign-charter-banner.tsx'
import { TimelineFilters } from '#app/journal/components/timeline-filters.tsx'
import { TimelineTable } from '#app/journal/components/timeline-table.tsx'
import { reviewSchema } from '#app/journal/schemas.ts'
import { ALERT_WINDOW_DAYS, loadTimelinePage, reviewedThrough, saveReview } from '#app/journal/timeline.server.ts'
import { readForm } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Journal d’accès — Cellule' }]

/** The DPO's journal of the cell: alerts to review, the filtered timeline, integrity and the signed export. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const principal = await requireCellPermission({ request, context, cellId: params.cellId ?? '', action: 'cell:audit:read' })
  const page = await loadTimelinePage({ db: context.runtime.db.db, signer: context.runtime.signer, principal, searchParams: new URL(request.url).searchParams })
  return data(page, { status: page.filterError ? 400 : 200 })
}

/**
 * The DPO's review of an alert. The guard records the decision first (a refusal is journaled
 * whatever the body); the review and its `audit.alert.reviewed` event are stored together once
 * the alert is known to exist.
 */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const principal = await requireCellPermission({ request, context, cellId: params.cellId ?? '', action: 'cell:audit:review', audit: { resource: 'journal' } })
  const form = await readForm(request)
  const parsed = reviewSchema.safeParse(Object.fromEntries(form))
  const alertId = typeof form.get('alertId') === 'string' ? String(form.get('alertId')).slice(0, 120) : ''
  const answer = (fields: Partial<ReviewAnswer>): ReviewAnswer => ({ alertId, error: null, done: null, ...fields })
  if (!parsed.success) return data(answer({ error: parsed.error.issues[0]?.message ?? 'Demande invalide.' }), { status: 422 })
  const db = context.runtime.db.db
  const through = await reviewedThrough(db, { cellId: principal.cell.id, review: parsed.data })
  if (!through) {
    return data(answer({ error: `Cette alerte n’existe plus (hors de la période de ${ALERT_WINDOW_DAYS} jours) : rechargez la page.` }), { status: 404 })
  }
  await failClosed(() => saveReview({ db, principal, review: parsed.data, through, context }))
  return data(answer({ done: parsed.data.status === 'reviewed' ? 'Alerte marquée comme revue.' : 'Alerte marquée « à approfondir ».' }))
}

export default function Journal() {
  const page = useLoaderData<typeof loader>()
  const answer = useActionData<typeof action>()
  return (
    <>
      <CellNav cellId={page.cell.id} cellName={page.cell.name} allowed={page.nav} />
      <h1>Journal d’accès</h1>
      {page.mustSignCharter ? <SignCharterBanner cellId={page.cell.id} /> : null}
      <p>
        Chaque consultation et chaque action sur la cellule, autorisée ou refusée, est enregistrée dans un journal scellé (arbre de Merkle signé). Vous y voyez qui a fait quoi et quand,
        jamais le contenu des situations ni les clés.
      </p>
      <IntegrityCallout integrity={page.integrity} cellId={page.cell.id} canExport={page.canExport} />
      <AlertList alerts={page.alerts} canReview={page.canReview} answer={answer} windowDays={page.alertWindowDays} />

      <h2 id="chronologie">Chronologie</h2>
      <p>
        <Link to={`/cellules/${page.cell.id}/journal/consultations`}>Qui a consulté une ressource ?</Link>
      </p>
      {page.filterError ? <FormMessage kind="error">{page.filterError}</FormMessage> : null}
      <TimelineFilters filters={page.filters} members={page.members} resources={page.resources} />
      <TimelineTable events={page.events} />
      {page.olderHref || page.newestHref ? (
        <ul className="fr-btns-group fr-btns-group--inline-sm">
          {page.newestHref ? (
            <li>
              <Link className="fr-btn fr-btn--sm fr-btn--secondary" to={page.newestHref}>
                Revenir aux événements les plus récents
              </Link>
            </li>
          ) : null}
          {page.olderHref ? (
            <li>
              <Link className="fr-btn fr-btn--sm fr-btn--secondary" to={page.olderHref}>
                Événements plus anciens
              </Link>
            </li>
          ) : null}
        </ul>
      ) : null}
    </>
  )
}
