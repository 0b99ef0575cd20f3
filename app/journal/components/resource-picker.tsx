import { Form } from '@remix-run/react'
import { SelectField } from '#app/components/forms.tsx'

/** Which resource of the cell to ask about (a GET: the address names it). */
export function ResourcePicker({ resource, resources }: { resource: string | null; resources: readonly { key: string; label: string }[] }) {
  return (
    <Form method="get" className="fr-mb-4w" aria-label="Choisir une ressource">
      <SelectField
        label="Ressource"
        options={resources.map(({ key, label }) => ({ value: key, label }))}
        emptyOption={{ label: 'Choisir une ressource', disabled: true }}
        selectProps={{ id: 'ressource', name: 'ressource', defaultValue: resource ?? '', required: true }}
      />
      <button type="submit" className="fr-btn fr-btn--sm">
        Afficher
      </button>
    </Form>
  )
}
