import { ACTIONS, type Action } from '#charter/actions.ts'
import { type MembershipRole } from '#charter/policy-types.ts'
import { type AuditAction, type AuditOutcome } from '#journal/actions.ts'

/** How the DPO console names each recorded action (French). */
export const ACTION_LABELS: Record<AuditAction, string> = {
  'account.invitation.created': 'Invitation à créer un compte',
  'account.invitation.refused': 'Lien d’invitation refusé',
  'account.registered': 'Création de compte',
  'account.cells.read': 'Consultation de « Mes cellules »',
  'account.roster_pins.read': 'Lecture des repères de registre du compte',
  'account.roster_pins.written': 'Enregistrement des repères de registre du compte',
  'auth.login': 'Connexion',
  'auth.logout': 'Déconnexion',
  'auth.mfa': 'Double authentification',
  'auth.mfa.enrolled': 'Activation de la double authentification',
  'auth.password.changed': 'Changement de mot de passe',
  'auth.recovered': 'Récupération du compte',
  'auth.account.reset': 'Réinitialisation du compte',
  'auth.session.revoked': 'Fin de session',
  'authz.denied': 'Accès refusé',
  'authz.granted': 'Action autorisée',
  'cell.created': 'Création de la cellule',
  'cell.archived': 'Archivage de la cellule (vide)',
  'cell.founded': 'Fondation de la cellule',
  'cell.read': 'Consultation de l’accueil de la cellule',
  'cell.members.read': 'Consultation de la liste des membres',
  'cell.member.invited': 'Invitation d’un membre',
  'cell.invitation.read': 'Consultation d’une invitation',
  'cell.invitation.cancelled': 'Annulation d’une invitation',
  'account.notice.dismissed': 'Lecture d’un avis sur son appartenance',
  'cell.member.confirmed': 'Confirmation d’un membre',
  'cell.member.removed': 'Retrait d’un membre',
  'cell.member.role_changed': 'Changement de rôle',
  'cell.charter.read': 'Consultation de la charte',
  'cell.charter.published': 'Publication d’une version de la charte',
  'cell.charter.signed': 'Signature de la charte',
  'cell.roster.read': 'Consultation du registre',
  'cell.roster.attested': 'Attestation du code du registre',
  'cell.history.read': 'Consultation de l’historique',
  'cell.keys.read': 'Récupération des clés de la cellule',
  'cell.habilitations.reviewed': 'Revue des habilitations',
  'audit.timeline.read': 'Consultation du journal d’accès',
  'audit.resource_viewers.read': 'Recherche « qui a consulté »',
  'audit.alert.reviewed': 'Revue d’une alerte',
  'audit.export.created': 'Export du journal',
  'audit.details.purged': 'Purge des détails (conservation)',
  'platform.cells.read': 'Consultation de la liste des cellules (plateforme)',
}

export const OUTCOME_LABELS: Record<AuditOutcome, string> = { success: 'Réussi', failure: 'Échec', denied: 'Refusé' }

/** Every policy action in words, shown next to « Action autorisée » / « Accès refusé »: a new action needs its label. */
export const POLICY_ACTION_LABELS: Record<Action, string> = {
  'platform:cells:list': 'voir la liste des cellules',
  'platform:cell:create': 'créer une cellule',
  'platform:cell:archive': 'archiver une cellule vide',
  'platform:invitation:create': 'créer une invitation',
  'cell:home:read': 'ouvrir l’accueil de la cellule',
  'cell:members:read': 'voir les membres',
  'cell:roster:read': 'lire le registre',
  'cell:roster:attest': 'attester le code du registre',
  'cell:keys:read': 'récupérer les clés',
  'cell:charter:read': 'lire la charte',
  'cell:charter:sign': 'signer la charte',
  'cell:charter:publish': 'publier la charte',
  'cell:member:invite': 'inviter un membre',
  'cell:member:confirm': 'confirmer un membre',
  'cell:member:set-role': 'changer un rôle',
  'cell:member:remove': 'retirer un membre',
  'cell:member:readmit': 'réadmettre un membre',
  'cell:habilitation:review': 'revoir les habilitations',
  'cell:invitation:accept': 'accepter une invitation',
  'cell:audit:read': 'consulter le journal',
  'cell:audit:review': 'revoir une alerte',
  'cell:audit:export': 'exporter le journal',
  'situation:list': 'voir la liste des situations',
  'situation:create': 'créer une situation',
  'situation:read:pseudonymised': 'lire une situation (données pseudonymisées)',
  'situation:read:nominative': 'lire les données nominatives d’une situation',
  'situation:read:medical': 'lire la section médicale d’une situation',
  'situation:write': 'modifier une situation',
  'situation:participant:attach': 'rattacher un participant à une situation',
  'situation:legal-basis:record': 'enregistrer la base légale du partage',
  'situation:break-glass': 'ouvrir un accès d’urgence (bris de glace)',
  'situation:close': 'clore une situation',
  'situation:export:single': 'exporter une situation',
  'referral:submit': 'saisir la cellule',
  'referral:triage': 'traiter une saisine',
  'referral:feedback:write': 'rédiger un retour au médecin',
  'referral:feedback:read': 'lire un retour',
  'meeting:manage': 'organiser une réunion',
  'meeting:attend': 'participer à une réunion',
  'meeting:proposals:write': 'rédiger les propositions d’une réunion',
}

const POLICY_ACTIONS: ReadonlySet<string> = new Set(ACTIONS)

/** The words for a recorded policy action, if it is one (the journal stores it as text). */
export function policyActionLabel(policyAction: string | null): string | undefined {
  return policyAction && POLICY_ACTIONS.has(policyAction) ? POLICY_ACTION_LABELS[policyAction as Action] : undefined
}

/** Resources the cell's guard records (`resource` of the detail), for "qui a consulté cette ressource". */
export const CELL_RESOURCES = [
  { key: 'home', label: 'Accueil de la cellule' },
  { key: 'members', label: 'Liste des membres' },
  { key: 'roster', label: 'Registre signé' },
  { key: 'charter', label: 'Charte' },
  { key: 'keys', label: 'Clés de la cellule' },
  { key: 'journal', label: 'Journal d’accès' },
] as const

export function resourceLabel(key: string | null, names: Record<string, string>): string {
  if (!key) return '—'
  const known = CELL_RESOURCES.find((resource) => resource.key === key)
  if (known) return known.label
  const [kind, id] = key.split(':')
  if (kind === 'member' && id) return `Membre : ${names[id] ?? 'personne inconnue'}`
  if (kind === 'invitation') return 'Invitation'
  if (kind === 'alert') return 'Alerte'
  return key
}

/** Date and time of journal entries, Paris time. */
export const journalDateTime = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'Europe/Paris' })

/** Roles as the journal names them (cell roles, and the platform administrator). */
export const ROLE_LABELS: Record<MembershipRole | 'platform_admin', string> = { coordinator: 'Coordination', member: 'Membre', associate: 'Membre associé·e', dpo: 'DPO', platform_admin: 'Administration' }

/** A recorded role in words; an unknown one (stored as text) as it was stored. */
export function roleLabel(role: string): string {
  return Object.hasOwn(ROLE_LABELS, role) ? ROLE_LABELS[role as keyof typeof ROLE_LABELS] : role
}

/** A role inside a sentence: « (membre) », acronyms kept (« (DPO) »). */
export function roleInSentence(role: string): string {
  const label = roleLabel(role)
  return label === label.toUpperCase() ? label : label.charAt(0).toLowerCase() + label.slice(1)
}

/** Shape of a resource key the journal records: `members`, `member:<uuid>`… */
export const RESOURCE_KEY = /^[a-z]+(:[0-9a-f-]{36})?$/

/** What a DPO can ask about: the cell's resources, then each member. */
export function resourceOptions(members: readonly { userId: string; displayName: string }[]): { key: string; label: string }[] {
  return [...CELL_RESOURCES.map(({ key, label }) => ({ key: key as string, label: label as string })), ...members.map((member) => ({ key: `member:${member.userId}`, label: `Membre : ${member.displayName}` }))]
}
