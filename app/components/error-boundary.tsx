import { isRouteErrorResponse, Link, useRouteError } from '@remix-run/react'
import { type ReactNode } from 'react'

type StatusMessage = { title: string; body: ReactNode }

const STATUS_MESSAGES: Record<number, StatusMessage> = {
  400: { title: 'Demande incorrecte', body: 'Les informations envoyées ne sont pas valides. Vérifiez le formulaire et recommencez.' },
  401: { title: 'Connexion nécessaire', body: 'Connectez-vous pour accéder à cette page.' },
  403: { title: 'Accès refusé', body: "Vous n'avez pas le droit d'accéder à cette page. Si vous pensez que c'est une erreur, contactez la coordination de votre cellule." },
  404: {
    title: 'Page non trouvée',
    body: "La page que vous cherchez est introuvable. Vérifiez l'adresse saisie ou revenez à l'accueil. Si vous avez suivi un lien, il est peut-être ancien.",
  },
  405: { title: 'Action non permise', body: "Cette action n'est pas possible sur cette page." },
  413: { title: 'Envoi trop volumineux', body: 'Le contenu envoyé dépasse la taille autorisée.' },
  429: { title: 'Trop de tentatives', body: 'Patientez quelques minutes avant de réessayer.' },
  503: { title: 'Service momentanément indisponible', body: 'Le service est en maintenance ou surchargé. Réessayez dans quelques minutes.' },
}

const UNEXPECTED: StatusMessage = {
  title: 'Erreur inattendue',
  body: "Désolé, le service a rencontré un problème. Aucune donnée n'a été transmise à un tiers. Réessayez dans un instant ; si le problème persiste, contactez l'administrateur de la plateforme.",
}

/** One boundary for the whole app; it never renders an error's message or stack. */
export function GeneralErrorBoundary() {
  const error = useRouteError()
  const status = isRouteErrorResponse(error) ? error.status : 500
  const message = STATUS_MESSAGES[status] ?? UNEXPECTED
  return (
    <div className="fr-my-4w" role="alert" aria-labelledby="titre-erreur">
      <h1 id="titre-erreur">{message.title}</h1>
      <p className="fr-text--sm">Erreur {status}</p>
      <p className="fr-text--lead">{message.body}</p>
      <ul className="fr-btns-group fr-btns-group--inline-md">
        <li>
          <Link className="fr-btn" to="/">
            Page d'accueil
          </Link>
        </li>
      </ul>
    </div>
  )
}
