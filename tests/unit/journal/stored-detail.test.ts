import { describe, expect, it } from 'vitest'
import { canonicalJson } from '#charter/canonical-json.ts'
import { appendAuditEvent, recordAudit } from '#db/journal/record.ts'

/**
 * What a write sends to the database, pinned: the queue row's action, outcome and cell, and the
 * stored detail (canonical JSON). The expectations were produced by the code before the one event
 * union (db/audit.ts and db/audit-store/write.ts, decision 017), so the union changed no stored
 * byte; a failure here means existing exports and new ones no longer say the same thing.
 */
const USER = '0190f0a2-0000-7000-8000-000000000001'
const CELL = '0190f0a2-0000-7000-8000-0000000000c1'
const MEMBER = '0190f0a2-0000-7000-8000-000000000002'
const INVITATION = '0190f0a2-0000-7000-8000-000000000003'
const NOW = 1_767_225_600_000

type Executor = Parameters<typeof recordAudit>[0]

/** The parameters of the one statement, in order: event id, time, cell, action, outcome, commitment, time, cell, actor, resource, salt, detail. */
async function sent(write: (executor: Executor) => Promise<unknown>) {
  const statements: unknown[][] = []
  const executor = {
    execute: async (query: { queryChunks: unknown[] }) => {
      statements.push(query.queryChunks.filter((chunk) => typeof chunk !== 'object' || chunk === null || !Array.isArray((chunk as { value?: unknown }).value)))
      return { rows: [] }
    },
  } as unknown as Executor
  await write(executor)
  expect(statements).toHaveLength(1)
  const [, , cellId, action, outcome, , , , actor, resource, , detail] = statements[0]!
  return { action, outcome, cellId, actor, resource, detail: canonicalJson(JSON.parse(detail as string)) }
}

const CASES: [string, (executor: Executor) => Promise<unknown>, Record<string, unknown>][] = [
  [
    'auth.login failure, address known',
    (x) => recordAudit(x, { type: 'auth.login', outcome: 'failure', data: { reason: 'throttled' } }, { ipAddress: '192.0.2.9' }),
    { action: 'auth.login', outcome: 'failure', cellId: null, actor: null, resource: null, detail: '{"actorUserId":null,"data":{"reason":"throttled"},"ip":"192.0.2.9"}' },
  ],
  [
    'auth.mfa.enrolled, no address',
    (x) => recordAudit(x, { type: 'auth.mfa.enrolled', outcome: 'success', data: {} }, { actorUserId: USER }),
    { action: 'auth.mfa.enrolled', outcome: 'success', cellId: null, actor: '0190f0a2-0000-7000-8000-000000000001', resource: null, detail: '{"actorUserId":"0190f0a2-0000-7000-8000-000000000001","data":{},"ip":null}' },
  ],
  [
    'account.invitation.created',
    (x) => recordAudit(x, { type: 'account.invitation.created', outcome: 'success', data: { invitationId: INVITATION, purpose: 'account_reset' } }, { actorUserId: USER }),
    { action: 'account.invitation.created', outcome: 'success', cellId: null, actor: '0190f0a2-0000-7000-8000-000000000001', resource: null, detail: '{"actorUserId":"0190f0a2-0000-7000-8000-000000000001","data":{"invitationId":"0190f0a2-0000-7000-8000-000000000003","purpose":"account_reset"},"ip":null}' },
  ],
  [
    'cell.member.removed names its subject',
    (x) => recordAudit(x, { type: 'cell.member.removed', outcome: 'success', data: { memberId: MEMBER, newEpoch: 3, sessionsRevoked: 1 } }, { actorUserId: USER, cellId: CELL, ipAddress: '192.0.2.1' }),
    { action: 'cell.member.removed', outcome: 'success', cellId: '0190f0a2-0000-7000-8000-0000000000c1', actor: '0190f0a2-0000-7000-8000-000000000001', resource: 'member:0190f0a2-0000-7000-8000-000000000002', detail: '{"actorUserId":"0190f0a2-0000-7000-8000-000000000001","data":{"memberId":"0190f0a2-0000-7000-8000-000000000002","newEpoch":3,"sessionsRevoked":1},"ip":"192.0.2.1","resource":"member:0190f0a2-0000-7000-8000-000000000002","subjectUserId":"0190f0a2-0000-7000-8000-000000000002"}' },
  ],
  [
    'cell.member.confirmed names its subject',
    (x) => recordAudit(x, { type: 'cell.member.confirmed', outcome: 'success', data: { invitationId: INVITATION, memberId: MEMBER, role: 'member', kind: 'member' } }, { actorUserId: USER, cellId: CELL }),
    { action: 'cell.member.confirmed', outcome: 'success', cellId: '0190f0a2-0000-7000-8000-0000000000c1', actor: '0190f0a2-0000-7000-8000-000000000001', resource: 'member:0190f0a2-0000-7000-8000-000000000002', detail: '{"actorUserId":"0190f0a2-0000-7000-8000-000000000001","data":{"invitationId":"0190f0a2-0000-7000-8000-000000000003","kind":"member","memberId":"0190f0a2-0000-7000-8000-000000000002","role":"member"},"ip":null,"resource":"member:0190f0a2-0000-7000-8000-000000000002","subjectUserId":"0190f0a2-0000-7000-8000-000000000002"}' },
  ],
  [
    'cell.charter.signed',
    (x) => recordAudit(x, { type: 'cell.charter.signed', outcome: 'success', data: { version: 2 } }, { actorUserId: USER, cellId: CELL, ipAddress: null }),
    { action: 'cell.charter.signed', outcome: 'success', cellId: '0190f0a2-0000-7000-8000-0000000000c1', actor: '0190f0a2-0000-7000-8000-000000000001', resource: null, detail: '{"actorUserId":"0190f0a2-0000-7000-8000-000000000001","data":{"version":2},"ip":null}' },
  ],
  [
    'guard: cell read allowed',
    (x) => appendAuditEvent(x, { action: 'cell.members.read', outcome: 'success', cellId: CELL, detail: { actorUserId: USER, actorRole: 'member', ip: '192.0.2.1', userAgent: 'Mozilla/5.0', requestId: 'req-1', route: `GET /cellules/${CELL}/membres`, policyAction: 'cell:members:read', resource: 'members' } }, { now: NOW }),
    { action: 'cell.members.read', outcome: 'success', cellId: '0190f0a2-0000-7000-8000-0000000000c1', actor: '0190f0a2-0000-7000-8000-000000000001', resource: 'members', detail: '{"actorRole":"member","actorUserId":"0190f0a2-0000-7000-8000-000000000001","ip":"192.0.2.1","policyAction":"cell:members:read","requestId":"req-1","resource":"members","route":"GET /cellules/0190f0a2-0000-7000-8000-0000000000c1/membres","userAgent":"Mozilla/5.0"}' },
  ],
  [
    'guard: denied, reason clipped to 300',
    (x) => appendAuditEvent(x, { action: 'authz.denied', outcome: 'denied', cellId: CELL, detail: { actorUserId: USER, actorRole: null, ip: null, userAgent: null, requestId: null, route: `GET /cellules/${CELL}/journal`, policyAction: 'cell:audit:read', resource: 'journal', reason: 'x'.repeat(400) } }, { now: NOW }),
    { action: 'authz.denied', outcome: 'denied', cellId: '0190f0a2-0000-7000-8000-0000000000c1', actor: '0190f0a2-0000-7000-8000-000000000001', resource: 'journal', detail: '{"actorRole":null,"actorUserId":"0190f0a2-0000-7000-8000-000000000001","ip":null,"policyAction":"cell:audit:read","reason":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","requestId":null,"resource":"journal","route":"GET /cellules/0190f0a2-0000-7000-8000-0000000000c1/journal","userAgent":null}' },
  ],
  [
    'guard: unknown cell, a platform event',
    (x) => appendAuditEvent(x, { action: 'authz.denied', outcome: 'denied', cellId: null, detail: { actorUserId: USER, ip: '192.0.2.1', userAgent: null, requestId: 'req-2', route: 'GET /cellules/x', policyAction: 'cell:home:read', resource: `cell:${CELL}`, reason: 'Cellule introuvable.' } }, { now: NOW }),
    { action: 'authz.denied', outcome: 'denied', cellId: null, actor: '0190f0a2-0000-7000-8000-000000000001', resource: 'cell:0190f0a2-0000-7000-8000-0000000000c1', detail: '{"actorUserId":"0190f0a2-0000-7000-8000-000000000001","ip":"192.0.2.1","policyAction":"cell:home:read","reason":"Cellule introuvable.","requestId":"req-2","resource":"cell:0190f0a2-0000-7000-8000-0000000000c1","route":"GET /cellules/x","userAgent":null}' },
  ],
  [
    'guard: signed-in read with data',
    (x) => appendAuditEvent(x, { action: 'audit.resource_viewers.read', outcome: 'success', cellId: CELL, detail: { actorUserId: USER, actorRole: 'dpo', ip: '192.0.2.1', userAgent: null, requestId: null, route: 'GET /x', policyAction: 'cell:audit:read', resource: 'journal', data: { resource: 'members' } } }, { now: NOW }),
    { action: 'audit.resource_viewers.read', outcome: 'success', cellId: '0190f0a2-0000-7000-8000-0000000000c1', actor: '0190f0a2-0000-7000-8000-000000000001', resource: 'journal', detail: '{"actorRole":"dpo","actorUserId":"0190f0a2-0000-7000-8000-000000000001","data":{"resource":"members"},"ip":"192.0.2.1","policyAction":"cell:audit:read","requestId":null,"resource":"journal","route":"GET /x","userAgent":null}' },
  ],
  [
    'guard: my cells, no role, no policy action',
    (x) => appendAuditEvent(x, { action: 'account.cells.read', outcome: 'success', cellId: null, detail: { actorUserId: USER, ip: '192.0.2.1', userAgent: 'UA', requestId: 'req-3', route: 'GET /cellules', resource: 'my-cells' } }, { now: NOW }),
    { action: 'account.cells.read', outcome: 'success', cellId: null, actor: '0190f0a2-0000-7000-8000-000000000001', resource: 'my-cells', detail: '{"actorUserId":"0190f0a2-0000-7000-8000-000000000001","ip":"192.0.2.1","requestId":"req-3","resource":"my-cells","route":"GET /cellules","userAgent":"UA"}' },
  ],
  [
    'guard: a refusal keeps what the access would have recorded',
    (x) => appendAuditEvent(x, { action: 'authz.denied', outcome: 'denied', cellId: CELL, detail: { actorUserId: USER, actorRole: 'member', ip: '192.0.2.1', userAgent: null, requestId: null, route: 'GET /x', policyAction: 'cell:audit:read', resource: 'journal', reason: 'Réservé au DPO.', data: { resource: 'members' } } }, { now: NOW }),
    { action: 'authz.denied', outcome: 'denied', cellId: '0190f0a2-0000-7000-8000-0000000000c1', actor: '0190f0a2-0000-7000-8000-000000000001', resource: 'journal', detail: '{"actorRole":"member","actorUserId":"0190f0a2-0000-7000-8000-000000000001","data":{"resource":"members"},"ip":"192.0.2.1","policyAction":"cell:audit:read","reason":"Réservé au DPO.","requestId":null,"resource":"journal","route":"GET /x","userAgent":null}' },
  ],
  [
    'roster: keys fetched',
    (x) => appendAuditEvent(x, { action: 'cell.keys.read', outcome: 'success', cellId: CELL, detail: { actorUserId: USER, actorRole: 'member', ip: null, requestId: null, resource: 'keys', data: { epochKeysFetched: 2 } } }, { now: NOW }),
    { action: 'cell.keys.read', outcome: 'success', cellId: '0190f0a2-0000-7000-8000-0000000000c1', actor: '0190f0a2-0000-7000-8000-000000000001', resource: 'keys', detail: '{"actorRole":"member","actorUserId":"0190f0a2-0000-7000-8000-000000000001","data":{"epochKeysFetched":2},"ip":null,"requestId":null,"resource":"keys"}' },
  ],
  [
    'review',
    (x) => recordAudit(x, { type: 'audit.alert.reviewed', outcome: 'success', resource: 'journal', data: { alertId: `off-hours:${INVITATION}`, status: 'escalated' } }, { cellId: CELL, actorUserId: USER, actorRole: 'dpo', ipAddress: '192.0.2.1', requestId: 'req-4', occurredAtMs: NOW }),
    { action: 'audit.alert.reviewed', outcome: 'success', cellId: '0190f0a2-0000-7000-8000-0000000000c1', actor: '0190f0a2-0000-7000-8000-000000000001', resource: 'journal', detail: '{"actorRole":"dpo","actorUserId":"0190f0a2-0000-7000-8000-000000000001","data":{"alertId":"off-hours:0190f0a2-0000-7000-8000-000000000003","status":"escalated"},"ip":"192.0.2.1","requestId":"req-4","resource":"journal"}' },
  ],
]

describe('the stored detail of each kind of event is what it was before the one union', () => {
  it.each(CASES)('%s', async (_label, write, expected) => {
    expect(await sent(write)).toEqual(expected)
  })

  it('the retention purge, the one event written outside any request, now says its address is unknown like every other', async () => {
    const data = { purged: 3, cutoffMs: 1, retentionMonths: 6, firstOccurredAtMs: 1, lastOccurredAtMs: 2 }
    const written = await sent((x) => recordAudit(x, { type: 'audit.details.purged', outcome: 'success', data }, { cellId: null, actorUserId: null, occurredAtMs: NOW }))
    expect(JSON.parse(written.detail)).toEqual({ actorUserId: null, ip: null, data })
  })

  it('refuses an event its action does not take, before any write', async () => {
    await expect(sent((x) => appendAuditEvent(x, { action: 'auth.login', outcome: 'success', cellId: null, detail: { actorUserId: USER, resource: 'members' } }))).rejects.toThrow()
    await expect(sent((x) => recordAudit(x, { type: 'cell.members.read', outcome: 'denied' } as never, { cellId: CELL }))).rejects.toThrow()
  })
})
