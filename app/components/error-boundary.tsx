import { isRouteErrorResponse, Link, useRouteError } from '@remix-run/react'
import { type ReactNode } from 'react'
import { type DenyReason } from '#charter/policy-types.ts'
import { errorBodyOf } from '#app/access/http-error.ts'
import { CellNav } from './cell-nav.tsx'

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

type NextStep = { label: string; to: string }

/** What the person can do about a policy refusal, from its reason (the message says why). */
function nextStepFor(reason: DenyReason | undefined, cellId: string | undefined): NextStep | null {
  switch (reason) {
    case 'charter_unsigned':
      return cellId ? { label: 'Lire et signer la charte', to: `/cellules/${cellId}/charte` } : null
    case 'anonymous':
    case 'second_factor_required':
      return { label: 'Se connecter', to: '/connexion' }
    case 'removed':
    case 'suspended':
    case 'not_member':
    case 'other_cell':
    case 'needs_readmission':
    case 'invitation_pending':
      return { label: 'Voir mes cellules', to: '/cellules' }
    case 'role':
    case 'not_participant':
    case 'no_legal_basis':
    case 'objection':
    case 'not_health_professional':
    case 'not_secrecy_bound':
    case 'excluded_by_charter':
    case 'platform_admin_no_content':
      return cellId ? { label: 'Revenir à l’accueil de la cellule', to: `/cellules/${cellId}` } : null
    default:
      return null
  }
}

/**
 * One boundary for the whole app. It never renders a stack or an internal message: for a refusal
 * (4xx) it shows the French sentence the server wrote for the person (the policy's reason: charter
 * to sign, removed from the cell, role…) and the next step; for anything else, a generic message.
 * Its links load a whole document: leaving an error page by client navigation left the DSFR header
 * menu half set up (aria-labelledby without its dialog role, found by axe after « Lire et signer »).
 */
export function GeneralErrorBoundary() {
  const error = useRouteError()
  const status = isRouteErrorResponse(error) ? error.status : 500
  const message = STATUS_MESSAGES[status] ?? UNEXPECTED
  const body = isRouteErrorResponse(error) && status < 500 ? errorBodyOf(error.data) : undefined
  const next = nextStepFor(body?.reason, body?.cellId)
  const navigation = body?.cellNavigation
  return (
    <>
      {navigation ? <CellNav cellId={navigation.cellId} cellName={navigation.cellName} allowed={navigation.allowed} reloadDocument /> : null}
      <div className="fr-my-4w" role="alert" aria-labelledby="titre-erreur">
        <h1 id="titre-erreur">{body?.title ?? message.title}</h1>
        <p className="fr-text--sm">Erreur {status}</p>
        <p className="fr-text--lead">{body?.error ?? message.body}</p>
        <ul className="fr-btns-group fr-btns-group--inline-md">
          {next ? (
            <li>
              <Link className="fr-btn" to={next.to} reloadDocument>
                {next.label}
              </Link>
            </li>
          ) : null}
          <li>
            <Link className={next ? 'fr-btn fr-btn--secondary' : 'fr-btn'} to="/" reloadDocument>
              Page d'accueil
            </Link>
          </li>
        </ul>
      </div>
    </>
  )
}
