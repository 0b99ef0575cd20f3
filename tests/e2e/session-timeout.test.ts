import { eq } from 'drizzle-orm'
import { type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sessions } from '#db/schema.ts'
import { hashToken } from '#db/tokens.ts'
import { createAccountFixture, sessionCookie } from '#tests/support/account-factory.ts'
import { expectNoAxeViolations } from '#tests/support/axe.ts'
import { chromiumAvailable, launchChromium } from '#tools/browser/chromium.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'

describe.skipIf(!chromiumAvailable())('idle session timeout, as a user sees it', () => {
  let app: InProcessApp
  let browser: Browser

  beforeAll(async () => {
    ;[app, browser] = await Promise.all([startInProcessApp(), launchChromium()])
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  async function signedInPage() {
    const account = await createAccountFixture(app.runtime, {
      email: `inactif-${Date.now()}@exemple.fr`,
      password: 'mot-de-passe-inactif-1',
      displayName: 'Ines Inactive',
      profession: 'infirmier',
    })
    const context = await browser.newContext({ locale: 'fr-FR' })
    await context.addCookies([sessionCookie({ url: app.url, token: account.sessionToken })])
    const page = await context.newPage()
    await page.goto(`${app.url}/compte`)
    await page.waitForFunction(() => Boolean((window as unknown as { __remixContext?: unknown }).__remixContext))
    return { page, sessionId: hashToken(account.sessionToken) }
  }

  /** Nobody waits 13 idle minutes in a test: the page's clock jumps ahead (and back). */
  async function shiftPageClock(page: Page, milliseconds: number) {
    await page.evaluate(shift => {
      const holder = window as unknown as { __realNow?: () => number }
      holder.__realNow ??= Date.now.bind(Date)
      const realNow = holder.__realNow
      Date.now = () => realNow() + shift
    }, milliseconds)
  }

  const setServerDeadline = (sessionId: string, at: Date) =>
    app.database.handle.db.update(sessions).set({ expiresAt: at }).where(eq(sessions.id, sessionId))

  it('warns two minutes before the end, accessibly, and lets the person stay', async () => {
    const { page, sessionId } = await signedInPage()
    await shiftPageClock(page, 13.5 * 60_000)
    const dialog = page.getByRole('dialog', { name: 'Votre session va expirer' })
    await dialog.waitFor()
    await expectNoAxeViolations(page)
    // Server and page agree again: the session really is near its end when the person answers.
    await setServerDeadline(sessionId, new Date(Date.now() + 90_000))
    await shiftPageClock(page, 0)
    await dialog.getByRole('button', { name: 'Rester connecté(e)' }).click()
    await dialog.waitFor({ state: 'hidden' })
    const [row] = await app.database.handle.db.select().from(sessions).where(eq(sessions.id, sessionId))
    expect(row && row.expiresAt.getTime() - Date.now()).toBeGreaterThan(10 * 60_000)
    await page.waitForTimeout(1_500)
    expect(await dialog.isVisible()).toBe(false)
    await page.context().close()
  })

  it('at the deadline, wipes the keys and sends the person to the login page saying why', async () => {
    const { page, sessionId } = await signedInPage()
    await setServerDeadline(sessionId, new Date(Date.now() - 1_000))
    await shiftPageClock(page, 16 * 60_000)
    await page.waitForURL(/\/connexion\?motif=session-expiree/)
    await expect.poll(() => page.getByText('Votre session a expiré après une période d’inactivité').count()).toBe(1)
    expect(await app.database.handle.db.select().from(sessions).where(eq(sessions.id, sessionId))).toEqual([])
    await page.context().close()
  })
})
