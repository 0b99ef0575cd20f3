import { afterEach, describe, expect, it, vi } from 'vitest'
import { keepSessionAlive } from '#app/auth/keep-alive.ts'

/**
 * Issue 10, « Errors that hide failures »: « Rester connecté(e) » took any answer that was not a
 * new deadline (a 500, a proxy page, no answer) for the end of the session. Only the server saying
 * so ends it.
 */

function serve(answer: () => Promise<Response>) {
  vi.stubGlobal('fetch', vi.fn(answer))
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('keeping the session alive', () => {
  it('takes the new deadline the server answers', async () => {
    serve(async () => Response.json({ active: true, expiresAt: '2026-12-01T10:15:00.000Z' }))
    expect(await keepSessionAlive()).toEqual({ kind: 'extended', deadline: Date.parse('2026-12-01T10:15:00.000Z') })
  })

  it('ends the session only on active: false or a 401', async () => {
    serve(async () => Response.json({ active: false }))
    expect(await keepSessionAlive()).toEqual({ kind: 'ended' })
    serve(async () => Response.json({ error: 'Connectez-vous.' }, { status: 401 }))
    expect(await keepSessionAlive()).toEqual({ kind: 'ended' })
  })

  it.each([
    ['no answer at all', () => Promise.reject(new TypeError('Failed to fetch'))],
    ['a 500', async () => Response.json({ error: 'Erreur interne' }, { status: 500 })],
    ['a 503 from a proxy, in HTML', async () => new Response('<html>Service Unavailable</html>', { status: 503 })],
    ['a 200 that is not a session status', async () => new Response('<html>portail captif</html>', { status: 200 })],
    ['active: true without a deadline', async () => Response.json({ active: true })],
  ])('%s means the server could not be reached, not the end of the session', async (_case, answer) => {
    serve(answer)
    expect(await keepSessionAlive()).toEqual({ kind: 'unreachable' })
  })
})
