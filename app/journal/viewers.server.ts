import { listMembers } from '#db/cells.ts'
import { type Database } from '#db/database.ts'
import { resourceAccesses, type JournalEntry } from '#db/journal/queries.ts'
import { type CellPrincipal } from '#app/access/authorize.server.ts'
import { cellPermissions, navigationFlags } from '#app/cells/view.server.ts'
import { ACTION_LABELS, OUTCOME_LABELS, journalDateTime as dateTime, resourceLabel, resourceOptions } from './labels.ts'

/** « Qui a consulté cette ressource ? »: every recorded access to one resource of the cell, by person. */

type Viewer = { actorUserId: string; count: number; denied: number; firstAtMs: number; lastAtMs: number }

/** Accesses grouped by person, the most recent first; purged details have no person and are not counted. */
function byViewer(entries: readonly JournalEntry[]): Viewer[] {
  const viewers = new Map<string, Viewer>()
  for (const entry of entries) {
    const actor = entry.detail?.actorUserId
    if (!actor) continue
    const viewer = viewers.get(actor) ?? { actorUserId: actor, count: 0, denied: 0, firstAtMs: entry.occurredAtMs, lastAtMs: entry.occurredAtMs }
    viewer.count += 1
    if (entry.outcome === 'denied') viewer.denied += 1
    viewer.firstAtMs = Math.min(viewer.firstAtMs, entry.occurredAtMs)
    viewer.lastAtMs = Math.max(viewer.lastAtMs, entry.occurredAtMs)
    viewers.set(actor, viewer)
  }
  return [...viewers.values()].sort((a, b) => b.lastAtMs - a.lastAtMs)
}

/** The page's view model; `error` is the refused resource's message, `resource` the valid one asked for. */
export async function loadViewersPage({ db, principal, resource, error }: { db: Database; principal: CellPrincipal; resource: string | null; error: string | null }) {
  const cellId = principal.cell.id
  const members = await listMembers(db, cellId)
  const names = Object.fromEntries(members.map((member) => [member.userId, member.displayName]))
  const roles = Object.fromEntries(members.map((member) => [member.userId, member.role]))
  const accesses = resource ? await resourceAccesses(db, { cellId, resource }) : null
  const entries = accesses?.entries ?? []
  return {
    cell: { id: cellId, name: principal.cell.name },
    nav: navigationFlags(cellPermissions(principal)),
    mustSignCharter: principal.membership?.role === 'dpo' && principal.actor.membership?.signedCurrentCharter === false,
    error,
    resource,
    resourceName: resource ? resourceLabel(resource, names) : null,
    resources: resourceOptions(members),
    viewers: byViewer(entries).map((viewer) => ({
      actorUserId: viewer.actorUserId,
      name: names[viewer.actorUserId] ?? 'Personne hors de la cellule',
      role: roles[viewer.actorUserId] ?? null,
      count: viewer.count,
      denied: viewer.denied,
      first: dateTime.format(new Date(viewer.firstAtMs)),
      last: dateTime.format(new Date(viewer.lastAtMs)),
    })),
    events: entries.slice(0, 200).map((entry) => ({
      eventId: entry.eventId,
      at: dateTime.format(new Date(entry.occurredAtMs)),
      who: entry.detail?.actorUserId ? (names[entry.detail.actorUserId] ?? 'Personne hors de la cellule') : 'Détail purgé',
      what: ACTION_LABELS[entry.action],
      outcome: OUTCOME_LABELS[entry.outcome],
    })),
    truncated: accesses?.truncated ?? false,
  }
}
