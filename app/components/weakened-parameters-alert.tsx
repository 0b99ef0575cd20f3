import { useId, useState } from 'react'
import { WEAKENED_PARAMETERS_MESSAGE } from '#app/auth/labels.ts'

/**
 * The security alert of decision 021: the server served weaker KDF parameters (or another salt
 * seed) than this device saw for the account, so the login stopped before the password was used.
 * An account reset legitimately changes the seed: only after the administration confirmed one may
 * the person make this device forget what it knew.
 */
export function WeakenedParametersAlert({ onForget }: { onForget: () => void }) {
  const [confirming, setConfirming] = useState(false)
  const titleId = useId()
  return (
    <div className="fr-alert fr-alert--error fr-mb-3w" role="alert" aria-labelledby={titleId}>
      <h2 id={titleId} className="fr-alert__title">
        Connexion bloquée par sécurité
      </h2>
      <p>{WEAKENED_PARAMETERS_MESSAGE}</p>
      {confirming ? (
        <>
          <p className="fr-mt-2w">
            Ne continuez que si l’administration de la plateforme vous a confirmé, par un autre moyen que ce site (en
            personne ou par téléphone), avoir réinitialisé votre compte. Cet appareil oubliera alors ce qu’il savait de
            votre compte.
          </p>
          <button type="button" className="fr-btn fr-btn--secondary fr-btn--sm fr-mt-1w" onClick={onForget}>
            Réinitialisation confirmée : oublier les paramètres mémorisés
          </button>
        </>
      ) : (
        <button type="button" className="fr-btn fr-btn--tertiary fr-btn--sm fr-mt-2w" onClick={() => setConfirming(true)}>
          L’administration a réinitialisé mon compte
        </button>
      )}
    </div>
  )
}
