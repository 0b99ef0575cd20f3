import { z } from 'zod'

/**
 * The journal's closed vocabulary: a new action is a code change reviewed with the DPO console
 * rules, never free text (free text could carry personal data into the permanent tree). An
 * action once written stays here for ever: old leaves must keep verifying. zod only, no
 * node:crypto, so the console's labels and filters may import it in the browser.
 */
export const auditActionSchema = z.enum([
  'account.invitation.created',
  'account.invitation.refused',
  'account.registered',
  'account.cells.read',
  'account.roster_pins.read',
  'account.roster_pins.written',
  'auth.login',
  'auth.logout',
  'auth.mfa',
  'auth.mfa.enrolled',
  'auth.password.changed',
  'auth.recovered',
  'auth.account.reset',
  'auth.session.revoked',
  'authz.denied',
  'authz.granted',
  'cell.created',
  'cell.archived',
  'cell.founded',
  'cell.read',
  'cell.members.read',
  'cell.member.invited',
  'cell.invitation.read',
  'cell.member.confirmed',
  'cell.member.removed',
  'cell.member.role_changed',
  'cell.charter.read',
  'cell.charter.published',
  'cell.charter.signed',
  'cell.roster.read',
  'cell.roster.attested',
  'cell.history.read',
  'cell.keys.read',
  'cell.habilitations.reviewed',
  'audit.timeline.read',
  'audit.resource_viewers.read',
  'audit.alert.reviewed',
  'audit.export.created',
  'audit.details.purged',
  'platform.cells.read',
  'cell.invitation.cancelled',
  'account.notice.dismissed',
])
export type AuditAction = z.infer<typeof auditActionSchema>

export const auditOutcomeSchema = z.enum(['success', 'failure', 'denied'])
export type AuditOutcome = z.infer<typeof auditOutcomeSchema>
