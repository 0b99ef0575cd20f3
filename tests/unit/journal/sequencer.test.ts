import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EMPTY_LOG_STATE, leafHash, rootOf, sequenceBatch, type LogState, type QueuedEvent, type SequencedLeaf } from '#journal/index.ts'
import { CELLS } from './sample-log.ts'

function event(n: number, cellId: string | null): QueuedEvent {
  return {
    eventId: `0190f0a2-7b3c-7d4e-8f00-${n.toString(16).padStart(12, '0')}`,
    occurredAtMs: 1_767_225_600_000 + n,
    cellId,
    action: cellId === null ? 'auth.login' : 'cell.members.read',
    outcome: 'success',
    commitment: 'cd'.repeat(32),
  }
}

const eventsArbitrary = fc.array(fc.constantFrom<string | null>(null, ...CELLS), { maxLength: 120 }).map((cells) => cells.map((cellId, n) => event(n, cellId)))

describe('sequencer (pure)', () => {
  it('assigns dense per-cell sequences chained by leaf hash, platform events outside any chain', () => {
    const result = sequenceBatch({ state: EMPTY_LOG_STATE, events: [event(0, CELLS[0]), event(1, null), event(2, CELLS[0]), event(3, CELLS[1])] })
    const [a, b, c, d] = result.leaves as [SequencedLeaf, SequencedLeaf, SequencedLeaf, SequencedLeaf]
    expect(result.leaves.map((leaf) => leaf.index)).toEqual([0, 1, 2, 3])
    expect([a.leaf.cellSeq, b.leaf.cellSeq, c.leaf.cellSeq, d.leaf.cellSeq]).toEqual([1, null, 2, 1])
    expect([a.leaf.prevCellLeafHash, b.leaf.prevCellLeafHash, d.leaf.prevCellLeafHash]).toEqual([null, null, null])
    expect(c.leaf.prevCellLeafHash).toBe(a.leafHash.toString('hex'))
    expect(result.changedCells).toEqual(new Map([[CELLS[0], { lastSeq: 2, lastLeafHash: c.leafHash.toString('hex') }], [CELLS[1], { lastSeq: 1, lastLeafHash: d.leafHash.toString('hex') }]]))
    expect(result.root).toEqual(rootOf({ leafHashes: result.leaves.map((leaf) => leaf.leafHash) }))
  })

  it('gives the same leaves and root whatever the batch boundaries, and leaves its input state untouched', () => {
    fc.assert(
      fc.property(eventsArbitrary, fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1 }), (events, cuts) => {
        const whole = sequenceBatch({ state: EMPTY_LOG_STATE, events })
        let state: LogState = EMPTY_LOG_STATE
        const leaves: SequencedLeaf[] = []
        for (let start = 0, cut = 0; start < events.length; cut++) {
          const end = start + cuts[cut % cuts.length]!
          const before = { size: state.frontier.size, cells: new Map(state.cells) }
          const result = sequenceBatch({ state, events: events.slice(start, end) })
          expect({ size: state.frontier.size, cells: new Map(state.cells) }).toEqual(before)
          leaves.push(...result.leaves)
          state = result.state
          start = end
        }
        expect(leaves).toEqual(whole.leaves)
        expect(state.frontier.size).toBe(events.length)
        expect(rootOf({ leafHashes: leaves.map((leaf) => leafHash(leaf.leaf)) })).toEqual(whole.root)
        for (const cellId of CELLS) {
          const seqs = leaves.filter((leaf) => leaf.leaf.cellId === cellId).map((leaf) => leaf.leaf.cellSeq)
          expect(seqs).toEqual(seqs.map((_, position) => position + 1))
        }
      }),
      { numRuns: 100 },
    )
  })

  it('refuses a duplicate event in a batch and an event the leaf format would refuse', () => {
    expect(() => sequenceBatch({ state: EMPTY_LOG_STATE, events: [event(1, null), event(1, null)] })).toThrow(/en double/)
    expect(() => sequenceBatch({ state: EMPTY_LOG_STATE, events: [{ ...event(1, null), action: 'free text' as 'auth.login' }] })).toThrow()
    expect(() => sequenceBatch({ state: EMPTY_LOG_STATE, events: [{ ...event(1, null), cellSeq: 4 } as QueuedEvent] })).toThrow()
  })
})
