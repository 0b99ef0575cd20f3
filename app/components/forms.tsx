import { useEffect, useId, useState, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react'

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
  /** The first, empty choice: « Tous » for a filter, a disabled prompt for a required choice. */
  emptyOption?: { label: string; disabled?: boolean }
  selectProps: SelectHTMLAttributes<HTMLSelectElement> & { name: string }
}

export function SelectField({ label, hint, errors, options, emptyOption = { label: 'Sélectionnez une option' }, selectProps }: SelectFieldProps) {
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
        <option value="" disabled={emptyOption.disabled}>
          {emptyOption.label}
        </option>
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

type TextareaFieldProps = {
  label: ReactNode
  hint?: ReactNode
  errors?: string[]
  textareaProps: TextareaHTMLAttributes<HTMLTextAreaElement> & { name: string }
}

/** DSFR textarea, the same contract as Field. */
export function TextareaField({ label, hint, errors, textareaProps }: TextareaFieldProps) {
  const fallbackId = useId()
  const id = textareaProps.id ?? fallbackId
  const errorId = `${id}-erreur`
  const hasErrors = Boolean(errors?.length)
  return (
    <div className={`fr-input-group${hasErrors ? ' fr-input-group--error' : ''}`}>
      <label className="fr-label" htmlFor={id}>
        {label}
        {hint ? <span className="fr-hint-text">{hint}</span> : null}
      </label>
      <textarea
        {...textareaProps}
        id={id}
        className={`fr-input${hasErrors ? ' fr-input--error' : ''}`}
        aria-invalid={hasErrors || undefined}
        aria-describedby={hasErrors ? errorId : undefined}
      />
      {hasErrors ? (
        <div id={errorId} className="fr-error-text">
          {errors?.join(' ')}
        </div>
      ) : null}
    </div>
  )
}

type RadioGroupProps = {
  legend: ReactNode
  name: string
  /** Ids are the caller's when several groups share a page (one per alert). */
  options: readonly { value: string; label: ReactNode; id?: string }[]
  defaultValue?: string
  errors?: string[]
}

/** DSFR radio buttons in a fieldset; the error, when there is one, is announced with the group. */
export function RadioGroup({ legend, name, options, defaultValue, errors }: RadioGroupProps) {
  const baseId = useId()
  const errorId = `${baseId}-erreur`
  const hasErrors = Boolean(errors?.length)
  return (
    <fieldset className={`fr-fieldset${hasErrors ? ' fr-fieldset--error' : ''}`} aria-describedby={hasErrors ? errorId : undefined}>
      <legend className="fr-fieldset__legend fr-text--regular">{legend}</legend>
      {options.map((option, index) => {
        const id = option.id ?? `${baseId}-${index}`
        return (
          <div key={option.value} className="fr-fieldset__element">
            <div className="fr-radio-group">
              <input type="radio" id={id} name={name} value={option.value} defaultChecked={option.value === defaultValue} />
              <label className="fr-label" htmlFor={id}>
                {option.label}
              </label>
            </div>
          </div>
        )
      })}
      {hasErrors ? (
        <div id={errorId} className="fr-messages-group">
          <p className="fr-message fr-message--error">{errors?.join(' ')}</p>
        </div>
      ) : null}
    </fieldset>
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
