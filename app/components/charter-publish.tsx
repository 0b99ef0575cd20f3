import { useEffect, useRef, useState, type FormEvent } from 'react'
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
  // The checked next version, waiting for the coordinator to confirm what publishing does.
  const [pending, setPending] = useState<{ charter: Charter; loosened: string[] } | null>(null)
  const confirmation = useRef<HTMLHeadingElement>(null)
  // The confirmation replaces the submit button: take the focus there, so keyboard and screen reader users hear what publishing does.
  useEffect(() => {
    if (pending) confirmation.current?.focus()
  }, [pending])

  function review(event: FormEvent<HTMLFormElement>) {
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
    setProblems([])
    setPending({ charter: update.charter, loosened: update.loosened.map(problem => problem.message) })
  }

  async function publish(charter: Charter) {
    setBusy(true)
    setProblems([])
    try {
      const hash = await charterHash(charter)
      const { links, signature } = prepareCharterPublication({ state: roster.check.state, keys, version: charter.version, hash })
      const result = await postJson(`/api/cells/${roster.check.state.cellId}/charter/publish`, { charter, links, hash, signature })
      if (!result.ok) {
        setPending(null)
        return setProblems([result.error, ...Object.values(result.fieldErrors ?? {}).flat()])
      }
      onPublished()
    } finally {
      setBusy(false)
    }
  }

  return (
    <form onSubmit={review} noValidate aria-labelledby="publier-titre">
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
      <fieldset className="fr-fieldset" disabled={pending !== null}>
        <legend className="fr-fieldset__legend">Texte des sections (Markdown : **gras**, listes en « - »)</legend>
        {current.sections.map(section => (
          <div key={section.id} className="fr-fieldset__element">
            <div className="fr-input-group">
              <label className="fr-label" htmlFor={`section-${section.id}`}>
                {section.title}
              </label>
              <textarea id={`section-${section.id}`} name={`section-${section.id}`} className="fr-input" rows={5} defaultValue={section.body} />
            </div>
          </div>
        ))}
      </fieldset>
      <fieldset className="fr-fieldset" disabled={pending !== null}>
        <legend className="fr-fieldset__legend">Règles (dans les limites fixées par la loi)</legend>
        {EDITABLE_RULES.map(rule => {
          const { unit, label } = RULE_DESCRIPTIONS[rule]
          const { min, max } = RULE_BOUNDS[rule]
          return (
            <div key={rule} className="fr-fieldset__element">
              <div className="fr-input-group">
                <label className="fr-label" htmlFor={`rule-${rule}`}>
                  {label} (en {unit})
                  <span className="fr-hint-text">{max === undefined ? `Au moins ${min} ${unit}` : `Entre ${min} et ${max} ${unit}`}</span>
                </label>
                <input id={`rule-${rule}`} name={`rule-${rule}`} type="number" inputMode="numeric" min={min} max={max} className="fr-input" defaultValue={String(current.rules[rule])} />
              </div>
            </div>
          )
        })}
      </fieldset>
      {pending ? (
        <div className="fr-alert fr-alert--warning fr-mb-3w" role="group" aria-labelledby="publier-confirmation" aria-describedby="publier-effet">
          <h3 id="publier-confirmation" className="fr-alert__title" tabIndex={-1} ref={confirmation}>
            Confirmer la publication de la version {pending.charter.version} ?
          </h3>
          <p id="publier-effet">
            Dès la publication, l’accès de chaque membre de la cellule aux données est suspendu jusqu’à ce qu’il ou elle signe la version {pending.charter.version}. Vous la signez
            en la publiant. La ou le DPO garde la lecture du journal d’accès en attendant sa signature.
          </p>
          {pending.loosened.length > 0 ? (
            <>
              <p>Cette version assouplit des règles :</p>
              <ul>
                {pending.loosened.map(message => (
                  <li key={message}>{message}</li>
                ))}
              </ul>
            </>
          ) : null}
          <ul className="fr-btns-group fr-btns-group--inline-sm fr-mt-2w">
            <li>
              <button type="button" className="fr-btn" disabled={busy} onClick={() => void publish(pending.charter)}>
                Publier et suspendre les accès jusqu’à signature
              </button>
            </li>
            <li>
              <button type="button" className="fr-btn fr-btn--secondary" disabled={busy} onClick={() => setPending(null)}>
                Revenir à la modification
              </button>
            </li>
          </ul>
        </div>
      ) : (
        <button type="submit" className="fr-btn">
          Publier la version {current.version + 1}…
        </button>
      )}
    </form>
  )
}
