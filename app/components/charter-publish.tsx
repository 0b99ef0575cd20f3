import { useState, type FormEvent } from 'react'
import { charterHash } from '#charter/hash.ts'
import { RULE_BOUNDS, RULE_DESCRIPTIONS, checkCharterUpdate, type Charter } from '#charter/schema.ts'
import { postJson } from '#app/auth/api-client.ts'
import { prepareCharterPublication, type UnlockedKeys } from '#app/cells/cell-client.ts'
import { type CheckedRoster } from './roster-check.tsx'
import { FormMessage } from './forms.tsx'

const EDITABLE_RULES = Object.keys(RULE_BOUNDS) as (keyof typeof RULE_BOUNDS)[]

/**
 * Coordinator: edit the text and tighten the rules, then publish the next version. The legal floor is
 * enforced by the schema here and again on the server; every member must sign the new version.
 */
export function CharterPublication({ current, roster, keys, onPublished }: { current: Charter; roster: CheckedRoster; keys: UnlockedKeys; onPublished: () => void }) {
  const [problems, setProblems] = useState<string[]>([])
  const [busy, setBusy] = useState(false)

  async function publish(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const next = {
      ...current,
      version: current.version + 1,
      sections: current.sections.map(section => ({ ...section, body: String(form.get(`section-${section.id}`) ?? section.body) })),
      rules: {
        ...current.rules,
        ...Object.fromEntries(EDITABLE_RULES.map(rule => [rule, Number(form.get(`rule-${rule}`))])),
      },
    }
    const update = checkCharterUpdate({ previous: current, next })
    if (!update.ok) return setProblems(update.problems.map(problem => problem.message))
    setBusy(true)
    setProblems([])
    try {
      const hash = await charterHash(update.charter)
      const { links, signature } = prepareCharterPublication({ state: roster.check.state, keys, version: update.charter.version, hash })
      const result = await postJson(`/api/cells/${roster.check.state.cellId}/charter/publish`, { charter: update.charter, links, hash, signature })
      if (!result.ok) return setProblems([result.error, ...Object.values(result.fieldErrors ?? {}).flat()])
      onPublished()
    } finally {
      setBusy(false)
    }
  }

  return (
    <form onSubmit={publish} noValidate aria-labelledby="publier-titre">
      <h2 id="publier-titre">Publier une nouvelle version</h2>
      <p>Après publication, l’accès de chaque membre est suspendu jusqu’à ce qu’il ou elle signe la nouvelle version.</p>
      {problems.length > 0 ? (
        <div className="fr-alert fr-alert--error fr-mb-3w" role="alert">
          <h3 className="fr-alert__title">Version refusée</h3>
          <ul>
            {problems.map(problem => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {busy ? <FormMessage kind="info">Publication et signature en cours…</FormMessage> : null}
      {current.sections.map(section => (
        <div key={section.id} className="fr-input-group">
          <label className="fr-label" htmlFor={`section-${section.id}`}>
            {section.title}
          </label>
          <textarea id={`section-${section.id}`} name={`section-${section.id}`} className="fr-input" rows={5} defaultValue={section.body} />
        </div>
      ))}
      <fieldset className="fr-fieldset">
        <legend className="fr-fieldset__legend">Règles (dans les limites fixées par la loi)</legend>
        {EDITABLE_RULES.map(rule => (
          <div key={rule} className="fr-fieldset__element">
            <div className="fr-input-group">
              <label className="fr-label" htmlFor={`rule-${rule}`}>
                {RULE_DESCRIPTIONS[rule].label}
                <span className="fr-hint-text">
                  Entre {RULE_BOUNDS[rule].min} et {RULE_BOUNDS[rule].max ?? '…'}
                </span>
              </label>
              <input id={`rule-${rule}`} name={`rule-${rule}`} type="number" className="fr-input" defaultValue={String(current.rules[rule])} />
            </div>
          </div>
        ))}
      </fieldset>
      <button type="submit" className="fr-btn" disabled={busy}>
        Publier la version {current.version + 1}
      </button>
    </form>
  )
}
