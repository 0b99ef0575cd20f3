import { useEffect, useId, useState, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react'

export type FieldErrors = Record<string, string[] | undefined>

/** True once React runs in the browser: encrypted forms stay disabled until then (decision 004). */
export function useHydrated() {
  const [hydrated, setHydrated] = useState(false)
  useEffect(() => setHydrated(true), [])
  return hydrated
}

/** Ids and state shared by every DSFR field: the control's id, its error's id, whether it has errors. */
function useFieldState(explicitId: string | undefined, errors: string[] | undefined) {
  const fallbackId = useId()
  const id = explicitId ?? fallbackId
  return { id, errorId: `${id}-erreur`, hasErrors: Boolean(errors?.length) }
}

/** The DSFR group around a control: label with its hint, then the errors (linked by aria-describedby). */
function FieldFrame({
  group,
  id,
  errorId,
  label,
  hint,
  errors,
  errorTag = 'div',
  children,
}: {
  group: 'input' | 'select'
  id: string
  errorId: string
  label: ReactNode
  hint?: ReactNode
  errors?: string[]
  errorTag?: 'div' | 'p'
  children: ReactNode
}) {
  const hasErrors = Boolean(errors?.length)
  const ErrorTag = errorTag
  return (
    <div className={`fr-${group}-group${hasErrors ? ` fr-${group}-group--error` : ''}`}>
      <label className="fr-label" htmlFor={id}>
        {label}
        {hint ? <span className="fr-hint-text">{hint}</span> : null}
      </label>
      {children}
      {hasErrors ? (
        <ErrorTag id={errorId} className="fr-error-text">
          {/* One message per field: the first problem to fix (two at once read as noise). */}
          {errors?.[0]}
        </ErrorTag>
      ) : null}
    </div>
  )
}

/** The DSFR class and ARIA links of a control (`fr-input`, `fr-select`), errors first-class. */
function controlAttributes({ base, hasErrors, errorId, describedBy }: { base: 'fr-input' | 'fr-select'; hasErrors: boolean; errorId: string; describedBy?: string }) {
  return {
    className: `${base}${hasErrors ? ` ${base}--error` : ''}`,
    'aria-invalid': hasErrors || undefined,
    'aria-describedby': [describedBy, hasErrors ? errorId : undefined].filter(Boolean).join(' ') || undefined,
  }
}

type FieldProps = {
  label: ReactNode
  hint?: ReactNode
  errors?: string[]
  inputProps: InputHTMLAttributes<HTMLInputElement> & { name: string }
}

/** DSFR input with its label, hint and errors; aria-invalid and aria-describedby only when needed. */
export function Field({ label, hint, errors, inputProps }: FieldProps) {
  const { id, errorId, hasErrors } = useFieldState(inputProps.id, errors)
  return (
    <FieldFrame group="input" id={id} errorId={errorId} label={label} hint={hint} errors={errors}>
      <input {...inputProps} id={id} {...controlAttributes({ base: 'fr-input', hasErrors, errorId, describedBy: inputProps['aria-describedby'] })} />
    </FieldFrame>
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
  const { id, errorId, hasErrors } = useFieldState(selectProps.id, errors)
  return (
    <FieldFrame group="select" id={id} errorId={errorId} label={label} hint={hint} errors={errors} errorTag="p">
      <select {...selectProps} id={id} {...controlAttributes({ base: 'fr-select', hasErrors, errorId })}>
        <option value="" disabled={emptyOption.disabled}>
          {emptyOption.label}
        </option>
        {options.map(option => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </FieldFrame>
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
  const { id, errorId, hasErrors } = useFieldState(textareaProps.id, errors)
  return (
    <FieldFrame group="input" id={id} errorId={errorId} label={label} hint={hint} errors={errors}>
      <textarea {...textareaProps} id={id} {...controlAttributes({ base: 'fr-input', hasErrors, errorId })} />
    </FieldFrame>
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
