import { randomUUID } from 'node:crypto'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { checkRoster, rosterPinState } from '#app/cells/cell-client.ts'
import { toBase64Url } from '#crypto/encoding.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { buildCell, makeMember } from '../crypto/helpers.ts'

/**
 * Issue 10, « The database boundary is ambient and untyped »: readPin cast JSON.parse without a
 * schema and took an unreadable pin for no pin, which silently switched rollback protection off
 * (and overwrote the pin with whatever the server served). It must raise the roster alarm.
 */

const userId = 'member-1'

/** What the browser's localStorage does, enough for the pin. */
function fakeStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial))
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  }
}

function useStorage(storage: { getItem: (key: string) => string | null; setItem: (key: string, value: string) => void }) {
  vi.stubGlobal('window', { localStorage: storage })
}

function cell() {
  const cellId = randomUUID()
  const built = buildCell({ cellId, others: [makeMember({ memberId: userId, role: 'member' })] })
  return { cellId, links: built.links.map(toBase64Url), key: `cellule.roster-pin.${userId}.${cellId}`, state: built.getState() }
}

beforeAll(async () => {
  await initCrypto()
})
afterEach(() => {
  vi.unstubAllGlobals()
})

describe('the roster pin kept by the browser', () => {
  it('a first visit pins the head; a later visit checks against it', async () => {
    const { cellId, links, key, state } = cell()
    const storage = fakeStorage()
    useStorage(storage)
    expect(rosterPinState({ cellId, userId })).toBe('none')
    expect((await checkRoster({ cellId, links, userId })).ok).toBe(true)
    expect(JSON.parse(storage.items.get(key) ?? 'null')).toEqual({ seq: state.headSeq, hash: toBase64Url(state.headHash) })
    expect(rosterPinState({ cellId, userId })).toBe('pinned')
    expect((await checkRoster({ cellId, links, userId })).ok).toBe(true)
    // A rollback against a valid pin is the roster alarm, as before.
    expect(await checkRoster({ cellId, links: links.slice(0, -1), userId })).toMatchObject({ ok: false, source: 'roster', message: expect.stringMatching(/plus ancien/) })
  })

  it.each([
    ['not JSON', '{"seq": 1, "hash": '],
    ['JSON null (it used to mean « no pin »)', 'null'],
    ['a number', '0'],
    ['fields of the wrong type', '{"seq":"1","hash":3}'],
    ['a negative seq', JSON.stringify({ seq: -1, hash: 'A'.repeat(43) })],
    ['a hash of the wrong length', JSON.stringify({ seq: 1, hash: 'AAAA' })],
    ['an unknown field', JSON.stringify({ seq: 1, hash: 'A'.repeat(43), trusted: true })],
  ])('a pin that is %s raises the alarm and is left as it was', async (_case, raw) => {
    const { cellId, links, key } = cell()
    const storage = fakeStorage({ [key]: raw })
    useStorage(storage)
    const check = await checkRoster({ cellId, links, userId })
    expect(check).toMatchObject({ ok: false, source: 'pin', message: expect.stringMatching(/^la trace du registre déjà vu, gardée par ce navigateur, est illisible/) })
    expect(storage.items.get(key)).toBe(raw)
    // Even with an empty roster served, the gate asks checkRoster, which alarms.
    expect(rosterPinState({ cellId, userId })).toBe('unreadable')
    expect(await checkRoster({ cellId, links: [], userId })).toMatchObject({ ok: false, source: 'pin' })
  })

  it('a storage that cannot be read raises the alarm too', async () => {
    const { cellId, links } = cell()
    useStorage({
      getItem: () => {
        throw new DOMException('The operation is insecure.', 'SecurityError')
      },
      setItem: () => {},
    })
    expect(await checkRoster({ cellId, links, userId })).toMatchObject({ ok: false, source: 'pin', message: expect.stringMatching(/stockage local de ce navigateur est inaccessible/) })
    expect(rosterPinState({ cellId, userId })).toBe('unreadable')
  })
})
