import { can, type Action } from '#charter/policy.ts'
import { type CellPrincipal } from './cell-guard.server.ts'

/** What the UI may offer, computed by the same policy the server enforces (the UI only mirrors it). */
export function allowedActions(principal: CellPrincipal, actions: readonly Action[]): Record<string, boolean> {
  return Object.fromEntries(actions.map(action => [action, can({ actor: principal.actor, action, resource: { kind: 'cell', cellId: principal.cell.id } }).allowed]))
}

export function navigationFlags(principal: CellPrincipal) {
  const allowed = allowedActions(principal, ['cell:members:read', 'cell:charter:read', 'cell:roster:read'])
  return { members: Boolean(allowed['cell:members:read']), charter: Boolean(allowed['cell:charter:read']), roster: Boolean(allowed['cell:roster:read']) }
}
