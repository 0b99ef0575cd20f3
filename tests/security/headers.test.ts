import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startApp, type RunningApp } from '#tests/support/app-process.ts'

let app: RunningApp
beforeAll(async () => {
  app = await startApp()
})
afterAll(async () => {
  await app.dispose()
})

function nonceOf(csp: string): string {
  const match = /'nonce-([^']+)'/.exec(csp)
  if (!match?.[1]) throw new Error(`no nonce in CSP: ${csp}`)
  return match[1]
}

function directive(csp: string, name: string): string {
  return csp.split(';').find(part => part.trim().startsWith(`${name} `)) ?? ''
}

describe('security headers', () => {
  it('carry a fresh CSP nonce per request, and every script of the page carries it', async () => {
    const first = await fetch(app.url)
    const second = await fetch(app.url)
    const firstCsp = first.headers.get('content-security-policy') ?? ''
    const secondCsp = second.headers.get('content-security-policy') ?? ''
    expect(nonceOf(firstCsp)).not.toBe(nonceOf(secondCsp))
    expect(nonceOf(firstCsp)).toMatch(/^[A-Za-z0-9+/=]{22,}$/)

    const scriptSrc = directive(firstCsp, 'script-src')
    expect(scriptSrc).toContain("'wasm-unsafe-eval'")
    expect(scriptSrc).not.toContain("'unsafe-inline'")
    expect(scriptSrc).not.toContain("'unsafe-eval'")
    expect(directive(firstCsp, 'frame-ancestors')).toContain("'none'")

    const html = await first.text()
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map(match => match[0])
    expect(scripts.length).toBeGreaterThan(0)
    for (const script of scripts) expect(script).toContain(`nonce="${nonceOf(firstCsp)}"`)
  })

  it.each(['/', '/healthz', '/page-qui-n-existe-pas', '/favicon.svg'])('are set on %s', async path => {
    const response = await fetch(`${app.url}${path}`)
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expect(response.headers.get('strict-transport-security')).toMatch(/max-age=\d{7,}/)
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('permissions-policy')).toContain('camera=()')
    expect(response.headers.get('x-powered-by')).toBeNull()
  })
})

describe('cross-site mutations', () => {
  it('refuses a POST marked cross-site by the browser', async () => {
    const response = await fetch(`${app.url}/`, { method: 'POST', headers: { 'Sec-Fetch-Site': 'cross-site' } })
    expect(response.status).toBe(403)
    expect(await response.text()).toMatch(/Requête refusée/)
  })

  it('refuses a POST with a foreign Origin', async () => {
    const response = await fetch(`${app.url}/`, { method: 'POST', headers: { Origin: 'https://attaquant.example' } })
    expect(response.status).toBe(403)
  })

  it('lets a same-origin POST through to the app (which answers for itself)', async () => {
    const response = await fetch(`${app.url}/page-qui-n-existe-pas`, {
      method: 'POST',
      headers: { Origin: app.url, 'Sec-Fetch-Site': 'same-origin' },
    })
    expect(response.status).toBe(404)
  })
})

describe('error pages', () => {
  it('answers an unknown address with the French 404 page inside the site layout', async () => {
    const response = await fetch(`${app.url}/dossiers/inconnu`)
    expect(response.status).toBe(404)
    const html = await response.text()
    expect(html).toContain('Page non trouvée')
    expect(html).toContain('<html lang="fr"')
    expect(html).toContain('Cellule')
  })
})

describe('logs', () => {
  it('never contain cookies, authorization headers or request bodies', async () => {
    const canary = `canari-${Date.now()}`
    await fetch(`${app.url}/page-qui-n-existe-pas`, {
      method: 'POST',
      headers: {
        Cookie: `session=${canary}-cookie`,
        Authorization: `Bearer ${canary}-authorization`,
        'Content-Type': 'application/x-www-form-urlencoded',
        Origin: app.url,
      },
      body: `password=${canary}-body`,
    })
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(app.output()).toContain('"path":"/page-qui-n-existe-pas"')
    expect(app.output()).not.toContain(canary)
  })
})
