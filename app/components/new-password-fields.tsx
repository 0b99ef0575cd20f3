import { useState } from 'react'
import { Field } from './forms.tsx'
import { PasswordStrength } from './password-strength.tsx'

/** « Nouveau mot de passe » with its strength meter and confirmation (fields `newPassword`, `confirmation`). */
export function NewPasswordFields({ fieldErrors, userInputs }: { fieldErrors: Record<string, string[] | undefined>; userInputs: string[] }) {
  const [password, setPassword] = useState('')
  return (
    <>
      <Field
        label="Nouveau mot de passe"
        hint="Au moins 12 caractères. Une phrase de plusieurs mots est à la fois robuste et facile à retenir."
        errors={fieldErrors.newPassword}
        inputProps={{ name: 'newPassword', type: 'password', autoComplete: 'new-password', required: true, onChange: event => setPassword(event.target.value), 'aria-describedby': 'robustesse' }}
      />
      <PasswordStrength password={password} userInputs={userInputs} id="robustesse" />
      <Field label="Confirmation du nouveau mot de passe" errors={fieldErrors.confirmation} inputProps={{ name: 'confirmation', type: 'password', autoComplete: 'new-password', required: true }} />
    </>
  )
}
