import { createHash } from 'node:crypto'
import { type JsonValue } from '#charter/canonical-json.ts'
import {
  EMPTY_LOG_STATE,
  buildExport,
  computeCommitment,
  logOrigin,
  sequenceBatch,
  signCheckpoint,
  signingKeyFromSeed,
  type AuditAction,
  type AuditExport,
  type DetailRecord,
  type Leaf,
  type LogState,
  type QueuedEvent,
  type SigningKey,
} from '#journal/index.ts'

/** Deterministic log shared by the golden vectors and the adversarial tests. */
export const SAMPLE_ORIGIN = logOrigin('cellule.example.fr')
export const SAMPLE_KEY: SigningKey = signingKeyFromSeed(createHash('sha256').update('cellule-audit sample key').digest())
export const OTHER_KEY: SigningKey = signingKeyFromSeed(createHash('sha256').update('cellule-audit attacker key').digest())
export const CELLS = ['c0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000003'] as const

const ACTIONS: readonly AuditAction[] = ['cell.members.read', 'cell.roster.read', 'cell.charter.read', 'cell.member.removed', 'authz.denied', 'cell.history.read']

function uuidFor(n: number): string {
  const hex = n.toString(16).padStart(12, '0')
  return `0190f0a2-7b3c-7d4e-8f00-${hex}`
}

export function deterministicSalt(n: number): Buffer {
  return createHash('sha256').update(`salt ${n}`).digest().subarray(0, 16 + (n % 17))
}

export type SampleLog = {
  leaves: Leaf[]
  details: DetailRecord[]
  checkpoints: string[]
  state: LogState
}

/**
 * `size` events sequenced one by one: event n belongs to cell n mod 4 (3 meaning a platform
 * event), a checkpoint is signed at each size in `checkpointAt`. Events with n mod 5 = 4
 * have their detail purged.
 */
export function buildSampleLog({ size = 40, checkpointAt = [5, 17, 32, 40] }: { size?: number; checkpointAt?: readonly number[] } = {}): SampleLog {
  const leaves: Leaf[] = []
  const details: DetailRecord[] = []
  const checkpoints: string[] = []
  let state = EMPTY_LOG_STATE
  const events: (QueuedEvent & { salt: Buffer; detail: JsonValue })[] = []
  for (let n = 0; n < size; n++) {
    const salt = deterministicSalt(n)
    const detail: JsonValue = { actor: { userId: uuidFor(1000 + (n % 3)), role: n % 2 === 0 ? 'coordinator' : 'member' }, request: { ip: `192.0.2.${n % 250}`, route: '/cellules/x/membres' } }
    const cellId = n % 4 === 3 ? null : CELLS[n % 4]!
    events.push({
      eventId: uuidFor(n),
      occurredAtMs: 1_767_225_600_000 + n * 1_000,
      cellId,
      action: cellId === null ? 'auth.login' : ACTIONS[n % ACTIONS.length]!,
      outcome: n % 6 === 4 ? 'denied' : 'success',
      commitment: computeCommitment({ salt, detail }),
      salt,
      detail,
    })
  }
  const wanted = new Set(checkpointAt)
  const sign = () => checkpoints.push(signCheckpoint({ origin: SAMPLE_ORIGIN, size: state.frontier.size, root: result.root, privateKey: SAMPLE_KEY.privateKey }))
  let result = sequenceBatch({ state, events: [] })
  if (wanted.has(0)) sign()
  for (const event of events) {
    const { salt, detail, ...queued } = event
    result = sequenceBatch({ state, events: [queued] })
    state = result.state
    leaves.push(...result.leaves.map((sequenced) => sequenced.leaf))
    if (leaves.length % 5 !== 0) details.push({ eventId: queued.eventId, salt: salt.toString('hex'), detail })
    if (wanted.has(state.frontier.size)) sign()
  }
  return { leaves, details, checkpoints, state }
}

export function sampleExport({ cellId, log = buildSampleLog() }: { cellId?: string; log?: SampleLog } = {}): AuditExport {
  return buildExport({
    origin: SAMPLE_ORIGIN,
    publicKey: SAMPLE_KEY.publicKeyRaw.toString('base64'),
    leaves: log.leaves,
    checkpoints: log.checkpoints,
    details: log.details,
    ...(cellId === undefined ? {} : { cellId }),
  })
}
