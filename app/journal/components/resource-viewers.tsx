import { roleLabel } from '../labels.ts'

type Viewer = { actorUserId: string; name: string; role: string | null; count: number; denied: number; first: string; last: string }
type Access = { eventId: string; at: string; who: string; what: string; outcome: string }

/** Who accessed one resource, by person, then the latest accesses one by one. */
export function ResourceViewers({ resourceName, viewers, events, truncated }: { resourceName: string | null; viewers: readonly Viewer[]; events: readonly Access[]; truncated: boolean }) {
  return (
    <>
      <h2>{resourceName}</h2>
      {viewers.length === 0 ? <p>Personne n’a consulté cette ressource dans la période conservée.</p> : null}
      {viewers.length > 0 ? (
        <div className="fr-table">
          {/* Wider than a phone, the table scrolls: keyboard users must reach it (axe scrollable-region-focusable). */}
          <table tabIndex={0}>
            <caption>Personnes ayant consulté « {resourceName} »</caption>
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
              {viewers.map((viewer) => (
                <tr key={viewer.actorUserId}>
                  <td>{viewer.name}</td>
                  <td>{viewer.role ? roleLabel(viewer.role) : '—'}</td>
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
      {events.length > 0 ? (
        <details>
          <summary>Détail des {events.length} derniers accès</summary>
          <ul>
            {events.map((event) => (
              <li key={event.eventId}>
                {event.at} — {event.who} — {event.what} ({event.outcome})
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {truncated ? <p className="fr-text--sm">Seuls les 2 000 derniers accès sont comptés : affinez avec la chronologie filtrée.</p> : null}
    </>
  )
}
