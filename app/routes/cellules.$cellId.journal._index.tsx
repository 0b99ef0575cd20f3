import { type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { z } from 'zod'
import { listMembers } from '#db/cells.ts'
import { type Database } from '#db/database.ts'
import { DEFAULT_ANOMALY_CONFIG, DEFAULT_RULES, detectAnomalies } from '#app/audit/anomalies.ts'
import { anomalyEvents, integrityStatus, journalFiltersSchema, journalKey, latestReviews, listJournal, recordReview, type JournalEvent } from '#app/audit/journal.server.ts'
import { ACTION_LABELS, OUTCOME_LABELS, POLICY_ACTION_LABELS, journalDateTime as dateTime, resourceLabel, resourceOptions, roleInSentence } from '#app/audit/labels.ts'
import { failClosed, requireCellPermission } from '#app/access/authorize.server.ts'
import { cellPermissions, navigationFlags } from '#app/cells/view.server.ts'
import { CellNav } from '#app/components/cell-nav.tsx'
import { FormMessage } from '#app/components/forms.tsx'
import { readForm } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Journal d’accès — Cellule' }]

/** Alerts are computed over this window; older ones stay findable in the timeline. */
const ALERT_WINDOW_DAYS = 90

function formatEvent(event: JournalEvent, names: Record<string, string>) {
  const detail = event.detail
  const policy = detail?.policyAction ? POLICY_ACTION_LABELS[detail.policyAction] : undefined
  return {
    eventId: event.eventId,
    at: dateTime.format(new Date(event.occurredAtMs)),
    what: policy && (event.action === 'authz.granted' || event.action === 'authz.denied') ? `${ACTION_LABELS[event.action]} : ${policy}` : ACTION_LABELS[event.action],
    outcome: event.outcome,
    who: detail ? (detail.actorUserId ? (names[detail.actorUserId] ?? 'Personne hors de la cellule') : 'Système') : 'Détail purgé (conservation)',
    role: detail?.actorRole ? roleInSentence(detail.actorRole) : null,
    resource: detail ? resourceLabel(detail.resource, names) : '—',
    reason: detail?.reason ?? null,
    sealed: event.cellSeq !== null ? `n° ${event.cellSeq}` : 'en attente de scellement',
  }
}

async function computeAlerts(db: Database, cellId: string) {
  const events = await anomalyEvents(db, { cellId, sinceMs: Date.now() - ALERT_WINDOW_DAYS * 86_400_000 })
  return detectAnomalies({ events, rules: DEFAULT_RULES, config: DEFAULT_ANOMALY_CONFIG })
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const url = new URL(request.url)
  const principal = await requireCellPermission({ request, context, cellId: params.cellId ?? '', action: 'cell:audit:read' })
  const db = context.runtime.db.db
  const cellId = principal.cell.id
  const raw = Object.fromEntries([...url.searchParams.entries()].filter(([, value]) => value !== ''))
  const parsed = journalFiltersSchema.safeParse(raw)
  const filters = parsed.success ? parsed.data : {}
  const members = await listMembers(db, cellId)
  const names = Object.fromEntries(members.map((member) => [member.userId, member.displayName]))
  const [journal, integrity, alerts] = await Promise.all([listJournal(db, { cellId, filters }), integrityStatus(db, { cellId }), computeAlerts(db, cellId)])
  const reviews = await latestReviews(db, { cellId, alertIds: alerts.map((alert) => alert.id) })
  const key = journalKey(context.runtime.signer)
  const data = {
    cell: { id: cellId, name: principal.cell.name },
    nav: navigationFlags(cellPermissions(principal)),
    canReview: cellPermissions(principal).has('cell:audit:review'),
    canExport: cellPermissions(principal).has('cell:audit:export'),
    filterError: parsed.success ? null : (parsed.error.issues[0]?.message ?? 'Filtre invalide.'),
    filters: parsed.success ? parsed.data : {},
    members: members.map((member) => ({ userId: member.userId, displayName: member.displayName, removed: member.status === 'removed' })),
    resources: resourceOptions(members),
    events: journal.events.map((event) => formatEvent(event, names)),
    nextBefore: journal.nextBefore,
    integrity: {
      total: integrity.total,
      sealed: integrity.sealed,
      checkpoint: integrity.checkpoint ? { size: integrity.checkpoint.treeSize, at: dateTime.format(integrity.checkpoint.signedAt) } : null,
      publicKey: key.publicKey,
      origin: key.origin,
    },
    alerts: alerts.map((alert) => {
      const review = reviews.get(alert.id)
      return {
        id: alert.id,
        title: alert.title,
        explanation: alert.explanation,
        who: names[alert.actorUserId] ?? 'Personne hors de la cellule',
        at: dateTime.format(new Date(alert.lastAtMs)),
        review: review ? { status: review.status, comment: review.comment, by: review.reviewerName, at: dateTime.format(review.createdAt) } : null,
      }
    }),
  }
  return Response.json(data, { status: parsed.success ? 200 : 400 })
}

const RULE_IDS = DEFAULT_RULES.map((rule) => rule.id) as [string, ...string[]]
const reviewSchema = z
  .object({
    intent: z.literal('review'),
    alertId: z.string().regex(new RegExp(`^(${RULE_IDS.join('|')}):[0-9a-f-]{36}$`), 'Alerte inconnue.'),
    status: z.enum(['reviewed', 'escalated'], { errorMap: () => ({ message: 'Choisissez « revue, sans suite » ou « à approfondir ».' }) }),
    comment: z.string().trim().max(1_000, 'Le commentaire ne peut dépasser 1 000 caractères.'),
  })
  .refine((value) => value.status !== 'escalated' || value.comment.length >= 3, { path: ['comment'], message: 'Expliquez en quelques mots pourquoi l’alerte est à approfondir.' })

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
  if (!parsed.success) return Response.json({ alertId, error: parsed.error.issues[0]?.message ?? 'Demande invalide.' }, { status: 422 })
  const alerts = await computeAlerts(context.runtime.db.db, principal.cell.id)
  if (!alerts.some((alert) => alert.id === parsed.data.alertId)) {
    return Response.json({ alertId, error: 'Cette alerte n’existe plus (hors de la période de 90 jours) : rechargez la page.' }, { status: 404 })
  }
  await failClosed(() => recordReview(context.runtime.db.db, {
    cellId: principal.cell.id,
    alertId: parsed.data.alertId,
    status: parsed.data.status,
    comment: parsed.data.comment,
    reviewerUserId: principal.userId,
    detail: { actorRole: principal.membership?.role ?? null, ip: context.clientIp ?? null, requestId: context.requestId ?? null },
  }))
  return Response.json({ alertId, done: parsed.data.status === 'reviewed' ? 'Alerte marquée comme revue.' : 'Alerte marquée « à approfondir ».' })
}

type Data = {
  cell: { id: string; name: string }
  nav: ReturnType<typeof navigationFlags>
  canReview: boolean
  canExport: boolean
  filterError: string | null
  filters: Record<string, unknown>
  members: { userId: string; displayName: string; removed: boolean }[]
  resources: { key: string; label: string }[]
  events: ReturnType<typeof formatEvent>[]
  nextBefore: string | null
  integrity: { total: number; sealed: number; checkpoint: { size: number; at: string } | null; publicKey: string; origin: string }
  alerts: { id: string; title: string; explanation: string; who: string; at: string; review: { status: 'reviewed' | 'escalated'; comment: string; by: string; at: string } | null }[]
}

export default function Journal() {
  const data = useLoaderData<typeof loader>() as unknown as Data
  const actionData = useActionData<typeof action>() as { alertId?: string; error?: string; done?: string } | undefined
  const open = data.alerts.filter((alert) => !alert.review)
  const closed = data.alerts.filter((alert) => alert.review)
  const olderParams = new URLSearchParams(Object.entries(data.filters).flatMap(([key, value]) => (value === undefined || key === 'avant' ? [] : [[key, String(value)]])))
  if (data.nextBefore) olderParams.set('avant', String(data.nextBefore))
  return (
    <>
      <CellNav cellId={data.cell.id} cellName={data.cell.name} allowed={data.nav} />
      <h1>Journal d’accès</h1>
      <p>
        Chaque consultation et chaque action sur la cellule, autorisée ou refusée, est enregistrée dans un journal scellé (arbre de Merkle signé). Vous y voyez qui a fait quoi et quand,
        jamais le contenu des situations ni les clés.
      </p>
      <Integrity integrity={data.integrity} cellId={data.cell.id} canExport={data.canExport} />

      <h2 id="alertes">Alertes à revoir ({open.length})</h2>
      {actionData?.done ? <FormMessage kind="success">{actionData.done}</FormMessage> : null}
      {open.length === 0 ? <p>Aucune alerte en attente sur les {ALERT_WINDOW_DAYS} derniers jours.</p> : null}
      <ul className="fr-raw-list">
        {open.map((alert) => (
          <li key={alert.id} className="fr-card fr-p-3w fr-mb-3w">
            <h3 className="fr-h6 fr-mb-1w">
              {alert.title} — {alert.who}
            </h3>
            <p className="fr-mb-1w">{alert.explanation}</p>
            <p className="fr-text--sm fr-mb-2w">Dernier accès concerné : {alert.at}</p>
            {data.canReview ? <ReviewForm alertId={alert.id} title={`${alert.title} — ${alert.who}`} error={actionData?.alertId === alert.id ? actionData.error : undefined} /> : null}
          </li>
        ))}
      </ul>
      {closed.length > 0 ? (
        <details className="fr-mb-4w">
          <summary>Alertes déjà revues ({closed.length})</summary>
          <ul>
            {closed.map((alert) => (
              <li key={alert.id}>
                <strong>{alert.title}</strong> — {alert.who} ({alert.at}) : {alert.review?.status === 'escalated' ? 'à approfondir' : 'revue, sans suite'} par {alert.review?.by} le {alert.review?.at}
                {alert.review?.comment ? ` — « ${alert.review.comment} »` : ''}
              </li>
            ))}
          </ul>
        </details>
      ) : null}

      <h2 id="chronologie">Chronologie</h2>
      <p>
        <Link to={`/cellules/${data.cell.id}/journal/consultations`}>Qui a consulté une ressource ?</Link>
      </p>
      {data.filterError ? <FormMessage kind="error">{data.filterError}</FormMessage> : null}
      <Filters data={data} />
      <div className="fr-table fr-table--no-caption">
        <table>
          <caption>Événements de la cellule, du plus récent au plus ancien</caption>
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">Personne</th>
              <th scope="col">Action</th>
              <th scope="col">Ressource</th>
              <th scope="col">Résultat</th>
              <th scope="col">Scellement</th>
            </tr>
          </thead>
          <tbody>
            {data.events.length === 0 ? (
              <tr>
                <td colSpan={6}>Aucun événement ne correspond à ces filtres.</td>
              </tr>
            ) : null}
            {data.events.map((event) => (
              <tr key={event.eventId}>
                <td>{event.at}</td>
                <td>
                  {event.who}
                  {event.role ? <span className="fr-text--xs"> ({event.role})</span> : null}
                </td>
                <td>
                  {event.what}
                  {event.reason ? <span className="fr-text--xs fr-text-default--error"> — {event.reason}</span> : null}
                </td>
                <td>{event.resource}</td>
                <td>
                  <span className={`fr-badge fr-badge--sm fr-badge--no-icon ${event.outcome === 'success' ? 'fr-badge--success' : 'fr-badge--error'}`}>{OUTCOME_LABELS[event.outcome]}</span>
                </td>
                <td>{event.sealed}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {data.nextBefore ? (
        <p>
          <Link to={`?${olderParams.toString()}#chronologie`}>Événements plus anciens</Link>
        </p>
      ) : null}
    </>
  )
}

function Integrity({ integrity, cellId, canExport }: { integrity: Data['integrity']; cellId: string; canExport: boolean }) {
  return (
    <div className="fr-callout fr-mb-4w">
      <h2 className="fr-callout__title fr-h5">Intégrité du journal</h2>
      <p className="fr-callout__text fr-text--md">
        {integrity.sealed} événement{integrity.sealed > 1 ? 's' : ''} scellé{integrity.sealed > 1 ? 's' : ''} sur {integrity.total} pour cette cellule.{' '}
        {integrity.checkpoint ? `Dernier point de contrôle signé : ${integrity.checkpoint.at} (journal de ${integrity.checkpoint.size} entrées, toutes cellules).` : 'Aucun point de contrôle signé pour l’instant.'}
      </p>
      <p className="fr-text--sm">
        Clé publique du journal (à conserver pour vérifier les exports) : <code data-testid="cle-publique-journal">{integrity.publicKey}</code>
      </p>
      {canExport ? (
        <>
          <a className="fr-btn fr-btn--secondary" href={`/cellules/${cellId}/journal/export`} download>
            Exporter le journal signé de la cellule
          </a>
          <p className="fr-text--xs fr-mt-1w">
            Vérification hors ligne : <code>npm run audit:verify -- fichier.json --public-key {integrity.publicKey}</code>
          </p>
        </>
      ) : null}
    </div>
  )
}

function ReviewForm({ alertId, title, error }: { alertId: string; title: string; error?: string }) {
  const navigation = useNavigation()
  const busy = navigation.state !== 'idle' && navigation.formData?.get('alertId') === alertId
  const id = alertId.replace(/[^a-z0-9]/gi, '-')
  return (
    <Form method="post" aria-label={`Revue de l’alerte ${title}`}>
      <input type="hidden" name="intent" value="review" />
      <input type="hidden" name="alertId" value={alertId} />
      {error ? <FormMessage kind="error">{error}</FormMessage> : null}
      <fieldset className="fr-fieldset">
        <legend className="fr-fieldset__legend fr-text--regular">Décision</legend>
        <div className="fr-fieldset__element">
          <div className="fr-radio-group">
            <input type="radio" id={`${id}-revue`} name="status" value="reviewed" defaultChecked />
            <label className="fr-label" htmlFor={`${id}-revue`}>
              Revue, sans suite
            </label>
          </div>
        </div>
        <div className="fr-fieldset__element">
          <div className="fr-radio-group">
            <input type="radio" id={`${id}-approfondir`} name="status" value="escalated" />
            <label className="fr-label" htmlFor={`${id}-approfondir`}>
              À approfondir
            </label>
          </div>
        </div>
      </fieldset>
      <div className="fr-input-group">
        <label className="fr-label" htmlFor={`${id}-commentaire`}>
          Commentaire
          <span className="fr-hint-text">Obligatoire pour « à approfondir ». Pas de donnée sur les personnes accompagnées.</span>
        </label>
        <textarea className="fr-input" id={`${id}-commentaire`} name="comment" maxLength={1000} rows={2} />
      </div>
      <button type="submit" className="fr-btn fr-btn--sm" disabled={busy}>
        {busy ? 'Enregistrement…' : 'Enregistrer la revue'}
      </button>
    </Form>
  )
}

function Filters({ data }: { data: Data }) {
  const value = (key: string) => (data.filters[key] === undefined ? '' : String(data.filters[key]))
  return (
    <Form method="get" className="fr-mb-3w" aria-label="Filtrer la chronologie">
      <div className="fr-grid-row fr-grid-row--gutters">
        <div className="fr-col-12 fr-col-md-4">
          <div className="fr-select-group">
            <label className="fr-label" htmlFor="filtre-membre">
              Membre
            </label>
            <select className="fr-select" id="filtre-membre" name="membre" defaultValue={value('membre')}>
              <option value="">Tous</option>
              {data.members.map((member) => (
                <option key={member.userId} value={member.userId}>
                  {member.displayName}
                  {member.removed ? ' (retiré·e)' : ''}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div className="fr-col-12 fr-col-md-4">
          <div className="fr-select-group">
            <label className="fr-label" htmlFor="filtre-ressource">
              Ressource
            </label>
            <select className="fr-select" id="filtre-ressource" name="ressource" defaultValue={value('ressource')}>
              <option value="">Toutes</option>
              {data.resources.map((resource) => (
                <option key={resource.key} value={resource.key}>
                  {resource.label}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div className="fr-col-12 fr-col-md-4">
          <div className="fr-select-group">
            <label className="fr-label" htmlFor="filtre-action">
              Action
            </label>
            <select className="fr-select" id="filtre-action" name="action" defaultValue={value('action')}>
              <option value="">Toutes</option>
              {Object.entries(ACTION_LABELS).map(([key, label]) => (
                <option key={key} value={key}>
                  {label}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div className="fr-col-12 fr-col-md-4">
          <div className="fr-select-group">
            <label className="fr-label" htmlFor="filtre-resultat">
              Résultat
            </label>
            <select className="fr-select" id="filtre-resultat" name="resultat" defaultValue={value('resultat')}>
              <option value="">Tous</option>
              {Object.entries(OUTCOME_LABELS).map(([key, label]) => (
                <option key={key} value={key}>
                  {label}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div className="fr-col-6 fr-col-md-4">
          <div className="fr-input-group">
            <label className="fr-label" htmlFor="filtre-du">
              Du
            </label>
            <input className="fr-input" type="date" id="filtre-du" name="du" defaultValue={value('du')} />
          </div>
        </div>
        <div className="fr-col-6 fr-col-md-4">
          <div className="fr-input-group">
            <label className="fr-label" htmlFor="filtre-au">
              Au (inclus)
            </label>
            <input className="fr-input" type="date" id="filtre-au" name="au" defaultValue={value('au')} />
          </div>
        </div>
      </div>
      <ul className="fr-btns-group fr-btns-group--inline-sm fr-mt-2w">
        <li>
          <button type="submit" className="fr-btn fr-btn--sm">
            Filtrer
          </button>
        </li>
        <li>
          <Link className="fr-btn fr-btn--sm fr-btn--tertiary" to=".">
            Effacer les filtres
          </Link>
        </li>
      </ul>
    </Form>
  )
}
