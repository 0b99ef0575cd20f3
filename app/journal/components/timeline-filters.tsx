import { Form, Link } from '@remix-run/react'
import { Field, SelectField } from '#app/components/forms.tsx'
import { ACTION_LABELS, OUTCOME_LABELS } from '../labels.ts'

type FilterValues = { membre: string; ressource: string; action: string; resultat: string; du: string; au: string }

const ACTION_OPTIONS = Object.entries(ACTION_LABELS).map(([value, label]) => ({ value, label }))
const OUTCOME_OPTIONS = Object.entries(OUTCOME_LABELS).map(([value, label]) => ({ value, label }))

/** The timeline's filters, sent as a GET: the page's address says what is shown. */
export function TimelineFilters({
  filters,
  members,
  resources,
}: {
  filters: FilterValues
  members: readonly { userId: string; displayName: string; removed: boolean }[]
  resources: readonly { key: string; label: string }[]
}) {
  const memberOptions = members.map((member) => ({ value: member.userId, label: `${member.displayName}${member.removed ? ' (retiré·e)' : ''}` }))
  const resourceOptions = resources.map((resource) => ({ value: resource.key, label: resource.label }))
  const filtered = Object.values(filters).some((value) => value !== '')
  // Folded unless a filter is set: the timeline comes first on a short page (issue 12, item 11).
  return (
    <details className="fr-mb-3w" open={filtered}>
      <summary>Filtrer la chronologie{filtered ? ' (filtres actifs)' : ''}</summary>
      <Form method="get" className="fr-mt-2w" aria-label="Filtrer la chronologie">
        <div className="fr-grid-row fr-grid-row--gutters">
          <div className="fr-col-12 fr-col-md-4">
            <SelectField label="Membre" options={memberOptions} emptyOption={{ label: 'Tous' }} selectProps={{ id: 'filtre-membre', name: 'membre', defaultValue: filters.membre }} />
          </div>
          <div className="fr-col-12 fr-col-md-4">
            <SelectField label="Ressource" options={resourceOptions} emptyOption={{ label: 'Toutes' }} selectProps={{ id: 'filtre-ressource', name: 'ressource', defaultValue: filters.ressource }} />
          </div>
          <div className="fr-col-12 fr-col-md-4">
            <SelectField label="Action" options={ACTION_OPTIONS} emptyOption={{ label: 'Toutes' }} selectProps={{ id: 'filtre-action', name: 'action', defaultValue: filters.action }} />
          </div>
          <div className="fr-col-12 fr-col-md-4">
            <SelectField label="Résultat" options={OUTCOME_OPTIONS} emptyOption={{ label: 'Tous' }} selectProps={{ id: 'filtre-resultat', name: 'resultat', defaultValue: filters.resultat }} />
          </div>
          <div className="fr-col-6 fr-col-md-4">
            <Field label="Du" inputProps={{ id: 'filtre-du', type: 'date', name: 'du', defaultValue: filters.du }} />
          </div>
          <div className="fr-col-6 fr-col-md-4">
            <Field label="Au (inclus)" inputProps={{ id: 'filtre-au', type: 'date', name: 'au', defaultValue: filters.au }} />
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
    </details>
  )
}
