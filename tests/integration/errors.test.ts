import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'

let app: InProcessApp
beforeAll(async () => {
  app = await startInProcessApp()
})
afterAll(async () => {
  await app.close()
})

describe('when the database goes away', () => {
  it('answers /healthz with 503 and a reason, then pages with the French 500 page and no internals', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200)
    await app.database.handle.close()

    const health = await fetch(`${app.url}/healthz`)
    expect(health.status).toBe(503)
    expect(await health.json()).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/database unreachable/) })

    const page = await fetch(app.url)
    expect(page.status).toBe(500)
    const html = await page.text()
    expect(html).toContain('Erreur inattendue')
    expect(html).toContain('<html lang="fr"')
    // Remix sanitises the error in production: only a generic message, no stack value, no real message.
    for (const internal of ['closed', 'PGlite', 'pglite', '.ts:', 'node_modules']) expect(html).not.toContain(internal)
    expect(html).toContain('Unexpected Server Error')

    // The operator gets the details, tied to the request id the browser saw.
    const requestId = page.headers.get('x-request-id')
    await new Promise(resolve => setTimeout(resolve, 100))
    const logged = app
      .logs()
      .split('\n')
      .filter(line => line.includes(requestId ?? 'missing'))
    expect(logged.some(line => line.includes('unhandled error in loader or action'))).toBe(true)
  })
})
