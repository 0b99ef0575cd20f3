import { Form, useNavigation } from '@remix-run/react'
import { FormMessage, RadioGroup, TextareaField } from '#app/components/forms.tsx'

/** The DPO's decision on one alert: reviewed and closed, or to look into, with a comment. Nothing is pre-selected: one click must not close an alert. */
export function ReviewForm({ alertId, lastEventId, title, error }: { alertId: string; lastEventId: string; title: string; error?: string | null }) {
  const navigation = useNavigation()
  const busy = navigation.state !== 'idle' && navigation.formData?.get('alertId') === alertId
  // One form per alert on the page: ids from the alert, readable in tests and stable across renders.
  const id = alertId.replace(/[^a-z0-9]/gi, '-')
  return (
    <Form method="post" aria-label={`Revue de l’alerte ${title}`}>
      <input type="hidden" name="intent" value="review" />
      <input type="hidden" name="alertId" value={alertId} />
      <input type="hidden" name="lastEventId" value={lastEventId} />
      {error ? <FormMessage kind="error">{error}</FormMessage> : null}
      <RadioGroup
        legend="Décision"
        name="status"
        options={[
          { value: 'reviewed', label: 'Revue, sans suite', id: `${id}-revue` },
          { value: 'escalated', label: 'À approfondir', id: `${id}-approfondir` },
        ]}
      />
      <TextareaField
        label="Commentaire"
        hint="Obligatoire pour « à approfondir ». Pas de donnée sur les personnes accompagnées."
        textareaProps={{ id: `${id}-commentaire`, name: 'comment', maxLength: 1000, rows: 2 }}
      />
      <button type="submit" className="fr-btn fr-btn--sm" disabled={busy}>
        {busy ? 'Enregistrement…' : 'Enregistrer la revue'}
      </button>
    </Form>
  )
}
