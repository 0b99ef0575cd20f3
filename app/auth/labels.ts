/** Why unlocking the keys failed: only `wrong_password` is the person's doing. */
export type UnlockFailure = 'wrong_password' | 'damaged_keys' | 'refused_parameters' | 'session_expired' | 'server_unreachable' | 'server_error'

export const UNLOCK_FAILURE_MESSAGES: Record<UnlockFailure, string> = {
  wrong_password: 'Mot de passe incorrect : vérifiez-le et réessayez.',
  damaged_keys:
    'Les clés chiffrées envoyées par le serveur sont illisibles ou altérées : votre mot de passe n’est pas en cause. Rechargez la page ; si le problème persiste, prévenez l’administration de la plateforme.',
  refused_parameters:
    'Le serveur demande des paramètres de sécurité invalides ou plus faibles que le minimum prévu : le déverrouillage est refusé et votre mot de passe n’a pas été utilisé. Prévenez l’administration de la plateforme.',
  session_expired: 'Votre session a expiré : reconnectez-vous.',
  server_unreachable: 'Le serveur ne répond pas : vos clés n’ont pas pu être récupérées. Vérifiez votre connexion et réessayez.',
  server_error: 'Le serveur a rencontré une erreur : vos clés n’ont pas pu être récupérées. Réessayez dans quelques instants.',
}
