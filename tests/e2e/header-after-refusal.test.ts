import { type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sessionCookie } from '#tests/support/account-factory.ts'
import { expectNoAxeViolationsAtWidths } from '#tests/support/axe.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'
import { createJournalFixtures, type JournalFixtures } from '#tests/support/journal-fixtures.ts'
import { chromiumAvailable, launchChromium } from '#tools/browser/chromium.ts'

/**
 * Issue 12, item 11: after a refused page (403, in the page's error boundary) and Back, on a phone,
 * the header's menu carried `aria-labelledby` without a role (axe aria-prohibited-attr).
 */
describe.skipIf(!chromiumAvailable())('the header after a refusal and Back', () => {
  let app: InProcessApp
  let browser: Browser
  let f: JournalFixtures
  beforeAll(async () => {
    ;[app, browser] = await Promise.all([startInProcessApp(), launchChromium()])
    f = await createJournalFixtures(app.runtime, { domain: 'entete-e2e.fr' })
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  it('keeps the header menu valid (axe, 390 and 1280 px) after a 403 reached in the page and Back', async () => {
    const context = await browser.newContext({ locale: 'fr-FR' })
    await context.addCookies([sessionCookie({ url: app.url, token: f.member.sessionToken })])
    const page = await context.newPage()
    const problems: string[] = []
    page.on('pageerror', error => problems.push(error.message))
    page.on('response', response => {
      if (response.status() >= 500 || response.status() === 404) problems.push(`${response.status()} ${response.url()}`)
    })
    page.on('console', message => {
      // The refusal itself (403), and Chromium's own /favicon.ico request (404, not a page request: checked above).
      if (message.type() === 'error' && !/status of 40[34]/.test(message.text())) problems.push(message.text())
    })
    await page.setViewportSize({ width: 390, height: 800 })
    await page.goto(`${app.url}/cellules/${f.cellId}`)
    await page.waitForFunction(() => Boolean((window as unknown as { __remixContext?: unknown }).__remixContext))
    await page.waitForLoadState('networkidle')
    // A member reaching the DPO's journal inside the app (no full reload): the refusal page.
    await page.evaluate(path => (window as unknown as { __remixRouter: { navigate: (to: string) => Promise<void> } }).__remixRouter.navigate(path), `/cellules/${f.cellId}/journal`)
    await page.getByRole('heading', { name: 'Accès refusé' }).waitFor()
    const menuIsValid = () =>
      page.locator('#header-menu-modal-fr-header').evaluate(menu => !menu.hasAttribute('aria-labelledby') || menu.getAttribute('role') === 'dialog' || menu.hasAttribute('data-fr-js-modal'))
    await expect.poll(menuIsValid).toBe(true)
    await expectNoAxeViolationsAtWidths(page, [390, 1280])
    await page.goBack()
    await page.getByRole('navigation', { name: /Navigation de la cellule/ }).waitFor()
    await expect.poll(menuIsValid).toBe(true)
    await expectNoAxeViolationsAtWidths(page, [390, 1280])
    expect(problems, problems.join('\n')).toEqual([])
    await context.close()
  })
})
