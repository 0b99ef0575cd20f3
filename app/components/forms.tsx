import { useEffect, useId, useState, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from 'react'

export type FieldErrors = Record<string, string[] | undefined>

/** True once React runs in the browser: encrypted forms stay disabled until then (decision 004). */
export function useHydrated() {
  const [hydrated, setHydrated] = useState(false)
  useEffect(() => setHydrated(true), [])
  return hydrated
}

type FieldProps = {
  label: ReactNode
  hint?: ReactNode
  errors?: string[]
  inputProps: InputHTMLAttributes<HTMLInputElement> & { name: string }
}

/** DSFR input with its label, hint and errors; aria-invalid and aria-describedby only when needed. */
export function Field({ label, hint, errors, inputProps }: FieldProps) {
  const fallbackId = useId()
  const id = inputProps.id ?? fallbackId
  const errorId = `${id}-erreur`
  const hasErrors = Boolean(errors?.length)
  return (
    <div className={`fr-input-group${hasErrors ? ' fr-input-group--error' : ''}`}>
      <label className="fr-label" htmlFor={id}>
        {label}
        {hint ? <span className="fr-hint-text">{hint}</span> : null}
      </label>
      <input
        {...inputProps}
        id={id}
        className={`fr-input${hasErrors ? ' fr-input--error' : ''}`}
        aria-invalid={hasErrors || undefined}
        aria-describedby={[inputProps['aria-describedby'], hasErrors ? errorId : undefined].filter(Boolean).join(' ') || undefined}
      />
      {hasErrors ? (
        <div id={errorId} className="fr-error-text">
          {errors?.join(' ')}
        </div>
      ) : null}
    </div>
  )
}

type SelectFieldProps = {
  label: ReactNode
  hint?: ReactNode
  errors?: string[]
  options: readonly { value: string; label: string }[]
  selectProps: SelectHTMLAttributes<HTMLSelectElement> & { name: string }
}

export function SelectField({ label, hint, errors, options, selectProps }: SelectFieldProps) {
  const fallbackId = useId()
  const id = selectProps.id ?? fallbackId
  const errorId = `${id}-erreur`
  const hasErrors = Boolean(errors?.length)
  return (
    <div className={`fr-select-group${hasErrors ? ' fr-select-group--error' : ''}`}>
      <label className="fr-label" htmlFor={id}>
        {label}
        {hint ? <span className="fr-hint-text">{hint}</span> : null}
      </label>
      <select
        {...selectProps}
        id={id}
        className={`fr-select${hasErrors ? ' fr-select--error' : ''}`}
        aria-invalid={hasErrors || undefined}
        aria-describedby={hasErrors ? errorId : undefined}
      >
        <option value="">Sélectionnez une option</option>
        {options.map(option => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      {hasErrors ? (
        <p id={errorId} className="fr-error-text">
          {errors?.join(' ')}
        </p>
      ) : null}
    </div>
  )
}

/** A message announced to screen readers: errors assertively, progress politely. */
export function FormMessage({ kind, children }: { kind: 'error' | 'info' | 'success'; children: ReactNode }) {
  if (!children) return null
  return (
    <div className={`fr-alert fr-alert--${kind} fr-alert--sm fr-mb-3w`} role={kind === 'error' ? 'alert' : 'status'}>
      <p>{children}</p>
    </div>
  )
}

export function NoScriptNotice() {
  return (
    <noscript>
      <div className="fr-alert fr-alert--warning fr-mb-3w">
        <p>
          Ce formulaire chiffre vos données dans votre navigateur avant tout envoi : il nécessite JavaScript. Activez
          JavaScript pour continuer.
        </p>
      </div>
    </noscript>
  )
}
