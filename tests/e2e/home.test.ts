import { type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startApp, type RunningApp } from '#tests/support/app-process.ts'
import { expectNoAxeViolations } from '#tests/support/axe.ts'
import { chromiumAvailable, launchChromium } from '#tools/browser/chromium.ts'

describe.skipIf(!chromiumAvailable())('public pages in Chromium', () => {
  let app: RunningApp
  let browser: Browser

  beforeAll(async () => {
    ;[app, browser] = await Promise.all([startApp(), launchChromium()])
  })
  afterAll(async () => {
    await browser?.close()
    await app?.dispose()
  })

  /** Opens a page and collects console errors, page errors and CSP violations. */
  async function openPage(path: string): Promise<{ page: Page; problems: string[]; status: number | undefined }> {
    // axe needs a page created from an explicit context.
    const context = await browser.newContext({ locale: 'fr-FR' })
    const page = await context.newPage()
    const problems: string[] = []
    page.on('console', message => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`)
    })
    page.on('pageerror', error => problems.push(`pageerror: ${error.message}`))
    const response = await page.goto(`${app.url}${path}`, { waitUntil: 'networkidle' })
    // Hydration finished: React attached its handlers to the document.
    await page.waitForFunction(() => (window as unknown as { __remixContext?: unknown }).__remixContext !== undefined)
    return { page, problems, status: response?.status() }
  }

  it('renders the home page in French with no console error and zero axe violations', async () => {
    const { page, problems, status } = await openPage('/')
    expect(status).toBe(200)
    expect(await page.getAttribute('html', 'lang')).toBe('fr')
    expect(await page.title()).toBe('Accueil — Cellule')
    expect(await page.locator('main h1').innerText()).toContain('Cellule')
    for (const audience of ['Membres de la cellule', 'Coordination', 'Médecins saisissants', 'Délégués à la protection des données', 'Administration de la plateforme']) {
      await expect.poll(() => page.getByRole('heading', { name: audience }).count()).toBe(1)
    }
    expect(await page.getByText('Cellule de prévention de la maltraitance des adultes — Sevran').count()).toBe(1)
    await expectNoAxeViolations(page)
    expect(problems).toEqual([])
    await page.context().close()
  })

  it('lets a keyboard user skip straight to the content', async () => {
    const { page, problems } = await openPage('/')
    await page.keyboard.press('Tab')
    const focused = await page.evaluate(() => document.activeElement?.textContent)
    expect(focused).toBe('Contenu')
    await page.keyboard.press('Enter')
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('contenu')
    expect(problems).toEqual([])
    await page.context().close()
  })

  it.each([
    ['/accessibilite', "Déclaration d'accessibilité", 200],
    ['/mentions-legales', 'Mentions légales', 200],
    ['/adresse/inconnue', 'Page non trouvée', 404],
  ])('renders %s accessibly', async (path, heading, expectedStatus) => {
    const { page, problems, status } = await openPage(path)
    expect(status).toBe(expectedStatus)
    expect(await page.locator('main h1').innerText()).toBe(heading)
    await expectNoAxeViolations(page)
    // A 404 document logs the failed load itself in the console; nothing else may appear.
    expect(problems.filter(problem => !/status of 404/.test(problem))).toEqual([])
    await page.context().close()
  })

  it('navigates from the footer to the legal notice without a full reload', async () => {
    const { page, problems } = await openPage('/')
    await page.evaluate(() => ((window as unknown as { marker: boolean }).marker = true))
    await page.locator('#pied-de-page').getByRole('link', { name: 'Mentions légales' }).click()
    await page.waitForURL(`${app.url}/mentions-legales`)
    // The address can change a frame before the new route renders.
    await expect.poll(() => page.locator('main h1').innerText()).toBe('Mentions légales')
    expect(await page.evaluate(() => (window as unknown as { marker?: boolean }).marker)).toBe(true)
    expect(problems).toEqual([])
    await page.context().close()
  })
})
