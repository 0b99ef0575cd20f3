import { FormMessage } from '#app/components/forms.tsx'
import { type AlertRow } from '../timeline.server.ts'
import { ReviewForm } from './review-form.tsx'

/** What the last review answered, for the alert it was about. */
export type ReviewAnswer = { alertId: string; error: string | null; done: string | null }

/** Open alerts shown in full; the others are one click away. */
const ALERTS_SHOWN = 3

function OpenAlert({ alert, canReview, answer }: { alert: AlertRow; canReview: boolean; answer: ReviewAnswer | undefined }) {
  return (
    <li className="fr-card fr-p-3w fr-mb-3w">
      <h3 className="fr-h6 fr-mb-1w">
        {alert.title} — {alert.who}
      </h3>
      {alert.reopened ? (
        <p className="fr-badge fr-badge--warning fr-badge--sm fr-mb-1w">
          Rouverte : {alert.reopened.newEvents} {alert.reopened.newEvents > 1 ? 'nouveaux événements' : 'nouvel événement'} depuis la revue du {alert.reopened.at}
        </p>
      ) : null}
      <p className="fr-mb-1w">{alert.explanation}</p>
      {alert.reopened ? (
        <p className="fr-text--sm fr-mb-1w">
          Revue précédente : {alert.reopened.status === 'escalated' ? 'à approfondir' : 'revue, sans suite'} par {alert.reopened.by} le {alert.reopened.at}
          {alert.reopened.comment ? ` — « ${alert.reopened.comment} »` : ''}. Ce qui s’est passé depuis demande une nouvelle revue.
        </p>
      ) : null}
      <p className="fr-text--sm fr-mb-2w">Dernier accès concerné : {alert.at}</p>
      {canReview ? <ReviewForm alertId={alert.id} lastEventId={alert.lastEventId} title={`${alert.title} — ${alert.who}`} error={answer?.alertId === alert.id ? answer.error : undefined} /> : null}
    </li>
  )
}

/** Alerts waiting for the DPO (each with its review form when allowed), then the ones already reviewed. */
export function AlertList({ alerts, canReview, answer, windowDays }: { alerts: readonly AlertRow[]; canReview: boolean; answer: ReviewAnswer | undefined; windowDays: number }) {
  const open = alerts.filter((alert) => !alert.review)
  const closed = alerts.filter((alert) => alert.review)
  return (
    <>
      <h2 id="alertes">Alertes à revoir ({open.length})</h2>
      {answer?.done ? <FormMessage kind="success">{answer.done}</FormMessage> : null}
      {open.length === 0 ? <p>Aucune alerte en attente sur les {windowDays} derniers jours.</p> : null}
      <ul className="fr-raw-list">
        {open.slice(0, ALERTS_SHOWN).map((alert) => (
          <OpenAlert key={alert.id} alert={alert} canReview={canReview} answer={answer} />
        ))}
      </ul>
      {/* Each open alert carries its review form: past a few, the rest fold away so the page stays short (issue 12, item 11). */}
      {open.length > ALERTS_SHOWN ? (
        <details className="fr-mb-4w" open={open.slice(ALERTS_SHOWN).some((alert) => alert.id === answer?.alertId)}>
          <summary>Voir les {open.length - ALERTS_SHOWN} autres alertes à revoir</summary>
          <ul className="fr-raw-list fr-mt-2w">
            {open.slice(ALERTS_SHOWN).map((alert) => (
              <OpenAlert key={alert.id} alert={alert} canReview={canReview} answer={answer} />
            ))}
          </ul>
        </details>
      ) : null}
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
    </>
  )
}
