import { allowedActions, type Action } from '#charter/policy.ts'
import { type CellPrincipal } from '#app/access/authorize.server.ts'

/** What the UI may offer: the same policy, with the same cell rules, that the server enforces. */
export function cellPermissions(principal: CellPrincipal): ReadonlySet<Action> {
  return new Set(allowedActions({ actor: principal.actor, resource: { kind: 'cell', cellId: principal.cell.id }, rules: principal.rules }))
}

export { navigationFlags } from '#app/access/navigation.ts'
