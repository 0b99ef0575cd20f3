import { type DenyReason, type MembershipRole } from './policy-types.ts'

/** French refusal messages: what happened and what to do, with vouvoiement. */

export const DENY_MESSAGES: Record<DenyReason, string> = {
  anonymous: 'Connectez-vous pour accéder à cette page.',
  second_factor_required: 'Confirmez votre connexion avec votre second facteur d’authentification pour continuer.',
  not_member: 'Vous n’êtes pas membre de cette cellule. Demandez une invitation à sa coordination.',
  invitation_pending: 'Votre invitation n’est pas encore confirmée. La coordination doit la valider avec vous, en personne.',
  already_member: 'Vous êtes déjà membre de cette cellule : ouvrez-la depuis la page « Mes cellules ».',
  other_cell: 'Cette ressource appartient à une autre cellule que la vôtre. Vérifiez l’adresse ou contactez la coordination.',
  removed: 'Vous ne faites plus partie de cette cellule. Contactez sa coordination si vous pensez qu’il s’agit d’une erreur.',
  suspended: 'Votre accès à cette cellule est suspendu. Contactez sa coordination pour le rétablir.',
  charter_unsigned: 'Signez la version en vigueur de la charte de la cellule pour accéder à cette page.',
  role: 'Votre rôle dans la cellule ne permet pas cette action. Adressez-vous à la coordination si nécessaire.',
  not_participant:
    'Vous n’êtes pas participant de cette situation. Demandez à la coordination de vous y rattacher ou, en cas d’urgence, utilisez l’accès en urgence.',
  no_legal_basis:
    'Aucune base légale du partage n’est enregistrée pour cette situation : seule sa présentation pseudonymisée est accessible.',
  objection: 'La personne s’est opposée au partage de ses informations : leur contenu nominatif n’est plus accessible.',
  not_health_professional: 'La section médicale est réservée aux professionnels de santé participant à la situation.',
  not_secrecy_bound:
    'Votre profession ne figure pas parmi celles autorisées à partager des informations nominatives (CSP R1110-2) : seules les présentations pseudonymisées vous sont accessibles.',
  excluded_by_charter:
    'La charte de la cellule réserve l’accès nominatif à d’autres catégories de professionnels que la vôtre : seules les présentations pseudonymisées vous sont accessibles.',
  needs_readmission:
    'Votre compte a été réinitialisé : la coordination doit vérifier de nouveau votre identité avec vous avant que vous retrouviez l’accès à la cellule.',
  platform_admin_no_content:
    'Le compte d’administration de la plateforme n’accède à aucun contenu de cellule. Utilisez un compte de membre pour participer à une cellule.',
  wrong_resource: 'Cette action ne s’applique pas à cette ressource.',
}

export function denyMessage(reason: DenyReason): string {
  return DENY_MESSAGES[reason]
}

export const ROLE_DENY_MESSAGES: Record<MembershipRole, string> = {
  coordinator: DENY_MESSAGES.role,
  member: 'Cette action est réservée à la coordination de la cellule.',
  associate: 'Les membres associés n’ont accès qu’aux présentations pseudonymisées et aux informations générales de la cellule.',
  dpo: 'Le rôle de DPO donne accès au journal des accès, aux membres et aux signatures de la charte, jamais au contenu des situations ni aux clés.',
}
