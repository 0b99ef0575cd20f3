import { OUTCOME_LABELS } from '../labels.ts'
import { type TimelineRow } from '../timeline.server.ts'

/** The cell's events, newest first, in the DPO's words. */
export function TimelineTable({ events }: { events: readonly TimelineRow[] }) {
  return (
    <div className="fr-table fr-table--no-caption">
      {/* Wider than a phone, the table scrolls: keyboard users must reach it (axe scrollable-region-focusable). */}
      <table tabIndex={0}>
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
          {events.length === 0 ? (
            <tr>
              <td colSpan={6}>Aucun événement ne correspond à ces filtres.</td>
            </tr>
          ) : null}
          {events.map((event) => (
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
  )
}
