/** Why unlocking the keys failed: only `wrong_password` is the person's doing. */
export type UnlockFailure =
  | 'wrong_password'
  | 'damaged_keys'
  | 'refused_parameters'
  | 'weakened_parameters'
  | 'out_of_memory'
  | 'worker_unavailable'
  | 'session_expired'
  | 'server_unreachable'
  | 'server_error'

/**
 * The server served weaker KDF parameters (or another salt seed) than this device saw for the
 * account: the password was not used (decision 021).
 */
export const WEAKENED_PARAMETERS_MESSAGE =
  'Alerte de sécurité : le serveur propose pour ce compte des paramètres de protection du mot de passe plus faibles que ceux que cet appareil a déjà vus. Votre mot de passe n’a pas été utilisé ni envoyé. Ne le saisissez pas sur un autre appareil ou un autre site pour l’instant, et prévenez l’administration de la plateforme (et le ou la DPO de votre cellule) en signalant ce message.'

export const UNLOCK_FAILURE_MESSAGES: Record<UnlockFailure, string> = {
  wrong_password: 'Mot de passe incorrect : vérifiez-le et réessayez.',
  damaged_keys:
    'Les clés chiffrées envoyées par le serveur sont illisibles ou altérées : votre mot de passe n’est pas en cause. Rechargez la page ; si le problème persiste, prévenez l’administration de la plateforme.',
  refused_parameters:
    'Le serveur demande des paramètres de sécurité invalides ou plus faibles que le minimum prévu : le déverrouillage est refusé et votre mot de passe n’a pas été utilisé. Prévenez l’administration de la plateforme.',
  weakened_parameters: WEAKENED_PARAMETERS_MESSAGE,
  out_of_memory:
    'Votre navigateur n’a pas pu réserver la mémoire nécessaire au calcul de vos clés. Fermez d’autres onglets ou applications et réessayez ; si cela persiste, utilisez un autre appareil.',
  worker_unavailable: 'Le module de calcul des clés n’a pas pu être chargé. Rechargez la page ; si cela persiste, prévenez l’administration de la plateforme.',
  session_expired: 'Votre session a expiré : reconnectez-vous.',
  server_unreachable: 'Le serveur ne répond pas : vos clés n’ont pas pu être récupérées. Vérifiez votre connexion et réessayez.',
  server_error: 'Le serveur a rencontré une erreur : vos clés n’ont pas pu être récupérées. Réessayez dans quelques instants.',
}
