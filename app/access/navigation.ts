import { type Action } from '#charter/policy.ts'

/** Which entries of the cell's navigation a person may open: the same permissions the pages' guards ask. */
export type CellNavigation = { members: boolean; charter: boolean; roster: boolean; journal: boolean }

export function navigationFlags(permissions: ReadonlySet<Action>): CellNavigation {
  return {
    members: permissions.has('cell:members:read'),
    charter: permissions.has('cell:charter:read'),
    // « Registre et signatures » names members and signatories: its guard asks for the members permission too.
    roster: permissions.has('cell:roster:read') && permissions.has('cell:members:read'),
    journal: permissions.has('cell:audit:read'),
  }
}
