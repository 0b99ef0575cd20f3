import { type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { listMembers } from '#db/cells.ts'
import { resourceViewers } from '#app/audit/journal.server.ts'
import { ACTION_LABELS, OUTCOME_LABELS, RESOURCE_KEY, ROLE_LABELS, journalDateTime as dateTime, resourceLabel, resourceOptions } from '#app/audit/labels.ts'
import { requireCellPermission } from '#app/access/authorize.server.ts'
import { cellPermissions, navigationFlags } from '#app/cells/view.server.ts'
import { CellNav } from '#app/components/cell-nav.tsx'
import { FormMessage } from '#app/components/forms.tsx'
import { getOnly } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Qui a consulté cette ressource ? — Journal d’accès — Cellule' }]

const resourceSchema = z.string().max(200).regex(RESOURCE_KEY, 'Ressource inconnue : choisissez-la dans la liste.')

/** "Qui a consulté cette ressource": for the DPO, every access to one resource of the cell, by person. */
/** GET only: any other method is a French 405. */
export const action = getOnly

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const url = new URL(request.url)
  const requested = url.searchParams.get('ressource') ?? ''
  const parsed = requested === '' ? null : resourceSchema.safeParse(requested)
  const resource = parsed?.success ? parsed.data : null
  const principal = await requireCellPermission({
    request,
    context,
    cellId: params.cellId ?? '',
    action: 'cell:audit:read',
    audit: { action: 'audit.resource_viewers.read', resource: 'journal', ...(resource ? { data: { resource } } : {}) },
  })
  const db = context.runtime.db.db
  const members = await listMembers(db, principal.cell.id)
  const names = Object.fromEntries(members.map((member) => [member.userId, member.displayName]))
  const roles = Object.fromEntries(members.map((member) => [member.userId, member.role]))
  const result = resource ? await resourceViewers(db, { cellId: principal.cell.id, resource }) : null
  const body = {
    cell: { id: principal.cell.id, name: principal.cell.name },
    nav: navigationFlags(cellPermissions(principal)),
    error: parsed && !parsed.success ? (parsed.error.issues[0]?.message ?? 'Ressource inconnue.') : null,
    resource,
    resourceName: resource ? resourceLabel(resource, names) : null,
    resources: resourceOptions(members),
    viewers: (result?.viewers ?? []).map((viewer) => ({
      actorUserId: viewer.actorUserId,
      name: names[viewer.actorUserId] ?? 'Personne hors de la cellule',
      role: roles[viewer.actorUserId] ?? null,
      count: viewer.count,
      denied: viewer.denied,
      first: dateTime.format(new Date(viewer.firstAtMs)),
      last: dateTime.format(new Date(viewer.lastAtMs)),
    })),
    events: (result?.events ?? []).map((event) => ({
      eventId: event.eventId,
      at: dateTime.format(new Date(event.occurredAtMs)),
      who: event.detail?.actorUserId ? (names[event.detail.actorUserId] ?? 'Personne hors de la cellule') : 'Détail purgé',
      what: ACTION_LABELS[event.action],
      outcome: OUTCOME_LABELS[event.outcome],
    })),
    truncated: result?.truncated ?? false,
  }
  return Response.json(body, { status: parsed && !parsed.success ? 400 : 200 })
}

type Data = {
  cell: { id: string; name: string }
  nav: ReturnType<typeof navigationFlags>
  error: string | null
  resource: string | null
  resourceName: string | null
  resources: { key: string; label: string }[]
  viewers: { actorUserId: string; name: string; role: string | null; count: number; denied: number; first: string; last: string }[]
  events: { eventId: string; at: string; who: string; what: string; outcome: string }[]
  truncated: boolean
}


export default function ResourceViewers() {
  const data = useLoaderData<typeof loader>() as unknown as Data
  return (
    <>
      <CellNav cellId={data.cell.id} cellName={data.cell.name} allowed={data.nav} />
      <p className="fr-mb-1w">
        <Link to={`/cellules/${data.cell.id}/journal`}>← Journal d’accès</Link>
      </p>
      <h1>Qui a consulté cette ressource ?</h1>
      {data.error ? <FormMessage kind="error">{data.error}</FormMessage> : null}
      <Form method="get" className="fr-mb-4w" aria-label="Choisir une ressource">
        <div className="fr-select-group">
          <label className="fr-label" htmlFor="ressource">
            Ressource
          </label>
          <select className="fr-select" id="ressource" name="ressource" defaultValue={data.resource ?? ''} required>
            <option value="" disabled>
              Choisir une ressource
            </option>
            {data.resources.map((resource) => (
              <option key={resource.key} value={resource.key}>
                {resource.label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="fr-btn fr-btn--sm">
          Afficher
        </button>
      </Form>
      {data.resource ? (
        <>
          <h2>{data.resourceName}</h2>
          {data.viewers.length === 0 ? <p>Personne n’a consulté cette ressource dans la période conservée.</p> : null}
          {data.viewers.length > 0 ? (
            <div className="fr-table">
              <table>
                <caption>Personnes ayant consulté « {data.resourceName} »</caption>
                <thead>
                  <tr>
                    <th scope="col">Personne</th>
                    <th scope="col">Rôle</th>
                    <th scope="col">Accès</th>
                    <th scope="col">dont refusés</th>
                    <th scope="col">Premier accès</th>
                    <th scope="col">Dernier accès</th>
                  </tr>
                </thead>
                <tbody>
                  {data.viewers.map((viewer) => (
                    <tr key={viewer.actorUserId}>
                      <td>{viewer.name}</td>
                      <td>{viewer.role ? (ROLE_LABELS[viewer.role] ?? viewer.role) : '—'}</td>
                      <td>{viewer.count}</td>
                      <td>{viewer.denied}</td>
                      <td>{viewer.first}</td>
                      <td>{viewer.last}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          {data.events.length > 0 ? (
            <details>
              <summary>Détail des {data.events.length} derniers accès</summary>
              <ul>
                {data.events.map((event) => (
                  <li key={event.eventId}>
                    {event.at} — {event.who} — {event.what} ({event.outcome})
                  </li>
                ))}
              </ul>
            </details>
          ) : null}
          {data.truncated ? <p className="fr-text--sm">Seuls les 2 000 derniers accès sont comptés : affinez avec la chronologie filtrée.</p> : null}
        </>
      ) : null}
    </>
  )
}
