import { useEffect, useState } from 'react'

type Strength = { score: 0 | 1 | 2 | 3 | 4; warning: string; suggestions: string[] }

const LABELS = ['Très faible', 'Faible', 'Moyen', 'Bon', 'Excellent'] as const
const COLORS = ['#ce0500', '#ce0500', '#b34000', '#18753c', '#18753c'] as const

let loading: Promise<(password: string, inputs: string[]) => Strength> | undefined

/** zxcvbn-ts with the French dictionaries, loaded on first use so other pages do not pay for it. */
function loadEstimator() {
  loading ??= Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common'), import('@zxcvbn-ts/language-fr')]).then(
    ([core, common, french]) => {
      core.zxcvbnOptions.setOptions({
        translations: french.translations,
        graphs: common.adjacencyGraphs,
        dictionary: { ...common.dictionary, ...french.dictionary },
      })
      return (password: string, inputs: string[]) => {
        const result = core.zxcvbn(password, inputs)
        return { score: result.score, warning: result.feedback.warning ?? '', suggestions: result.feedback.suggestions }
      }
    },
  )
  return loading
}

/** Shows how hard the password is to guess; the 12-character minimum is checked by the form itself. */
export function PasswordStrength({ password, userInputs, id }: { password: string; userInputs: string[]; id: string }) {
  const [strength, setStrength] = useState<Strength | null>(null)
  useEffect(() => {
    let cancelled = false
    if (!password) {
      setStrength(null)
      return
    }
    void loadEstimator().then(estimate => {
      if (!cancelled) setStrength(estimate(password, userInputs))
    })
    return () => {
      cancelled = true
    }
  }, [password, userInputs])

  const score = strength?.score ?? 0
  return (
    <div id={id} className="fr-mb-3w" aria-live="polite">
      <p className="fr-text--sm fr-mb-1v">
        Robustesse du mot de passe : <strong>{password ? (strength ? LABELS[score] : 'évaluation…') : 'non saisi'}</strong>
      </p>
      <div aria-hidden="true" style={{ height: '0.5rem', background: '#e5e5e5', borderRadius: '0.25rem' }}>
        <div style={{ height: '100%', width: `${password ? (score + 1) * 20 : 0}%`, background: COLORS[score], borderRadius: '0.25rem' }} />
      </div>
      {strength && (strength.warning || strength.suggestions.length > 0) ? (
        <p className="fr-text--xs fr-mt-1v">{[strength.warning, ...strength.suggestions].filter(Boolean).join(' ')}</p>
      ) : null}
    </div>
  )
}
