import { useId, useMemo, useState, type FormEvent } from 'react'
import { Field, FormMessage } from './forms.tsx'

const ORDINALS = ['premier', 'deuxième', 'troisième', 'quatrième', 'cinquième', 'sixième', 'septième']

/**
 * Shows the recovery code once, lets the person print it, and asks them to type one group back so a
 * code never noted cannot slip through.
 */
export function RecoveryCodeStep({
  code,
  onConfirmed,
  busy,
  title = 'Votre code de récupération',
  confirmLabel = 'J’ai noté mon code, créer mon compte',
}: {
  code: string
  onConfirmed: () => void
  busy: boolean
  title?: string
  confirmLabel?: string
}) {
  const groups = useMemo(() => code.split('-'), [code])
  const [groupIndex] = useState(() => 1 + Math.floor(Math.random() * (groups.length - 1)))
  const [errors, setErrors] = useState<string[] | undefined>()
  const headingId = useId()

  function confirm(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const typed = String(new FormData(event.currentTarget).get('group') ?? '').trim().toUpperCase()
    if (typed !== groups[groupIndex]) {
      setErrors([`Ce n’est pas le ${ORDINALS[groupIndex]} groupe du code. Vérifiez votre copie du code.`])
      return
    }
    setErrors(undefined)
    onConfirmed()
  }

  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      <FormMessage kind="info">
        Notez ce code ou imprimez-le et rangez-le en lieu sûr. Il est affiché une seule fois. Il est le seul moyen de
        retrouver l’accès à vos données chiffrées si vous oubliez votre mot de passe : personne, pas même
        l’administration de Cellule, ne peut les déchiffrer à votre place.
      </FormMessage>
      <p className="fr-text--lead" data-testid="code-recuperation">
        <code style={{ fontSize: '1.5rem', letterSpacing: '0.1em' }}>{code}</code>
      </p>
      <button type="button" className="fr-btn fr-btn--secondary fr-mb-4w" onClick={() => window.print()}>
        Imprimer le code
      </button>
      <form onSubmit={confirm} noValidate>
        <Field
          label={`Pour confirmer que vous l’avez noté, saisissez le ${ORDINALS[groupIndex]} groupe de 4 caractères`}
          errors={errors}
          inputProps={{ name: 'group', autoComplete: 'off', maxLength: 4, required: true, spellCheck: false }}
        />
        <button className="fr-btn" type="submit" disabled={busy}>
          {confirmLabel}
        </button>
      </form>
    </section>
  )
}
