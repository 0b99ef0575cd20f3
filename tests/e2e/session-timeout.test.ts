import { randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CHARTER } from '#charter/default-charter.ts'
import { charterHash } from '#charter/hash.ts'
import { charterSchema } from '#charter/schema.ts'
import { insertCell, upsertActiveMembership } from '#db/cells.ts'
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

  /** A cell whose charter closes sessions after `minutes` idle minutes. */
  async function cellClosingAfter(minutes: number) {
    const charter = charterSchema.parse({ ...DEFAULT_CHARTER, rules: { ...DEFAULT_CHARTER.rules, idleTimeoutMinutes: minutes } })
    return insertCell(app.database.handle.db, {
      slug: `inactivite-${randomUUID().slice(0, 8)}`,
      name: `Cellule des ${minutes} minutes`,
      communes: ['Sevran'],
      hostInstitution: 'Ville de Sevran',
      dpoContact: 'dpo@sevran.fr',
      createdBy: null,
      charter,
      charterHash: await charterHash(charter),
    })
  }

  async function signedInPage({ memberOf }: { memberOf?: string } = {}) {
    const account = await createAccountFixture(app.runtime, {
      email: `inactif-${Date.now()}@exemple.fr`,
      password: 'mot-de-passe-inactif-1',
      displayName: 'Ines Inactive',
      profession: 'infirmier',
    })
    if (memberOf) await upsertActiveMembership(app.database.handle.db, { cellId: memberOf, userId: account.userId, role: 'member' })
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

  it('a member of a cell whose charter closes sessions after 5 minutes is warned at 3, by the charter’s limit', async () => {
    const cell = await cellClosingAfter(5)
    const { page } = await signedInPage({ memberOf: cell.id })
    const dialog = page.getByRole('dialog', { name: 'Votre session va expirer' })
    await shiftPageClock(page, 2.5 * 60_000)
    await page.waitForTimeout(1_500)
    expect(await dialog.isVisible()).toBe(false)
    await shiftPageClock(page, 3.5 * 60_000)
    await dialog.waitFor()
    expect(await dialog.innerText()).toMatch(/après 5 minutes sans activité/)
    await page.context().close()

    // Someone in no such cell keeps the platform's 15 minutes: no warning at 3.5.
    const outsider = await signedInPage()
    await shiftPageClock(outsider.page, 3.5 * 60_000)
    await outsider.page.waitForTimeout(1_500)
    expect(await outsider.page.getByRole('dialog', { name: 'Votre session va expirer' }).isVisible()).toBe(false)
    await outsider.page.context().close()
  })

  it('when the server cannot be reached, says so and keeps the page; the person can retry', async () => {
    const { page, sessionId } = await signedInPage()
    await shiftPageClock(page, 13.5 * 60_000)
    const dialog = page.getByRole('dialog', { name: 'Votre session va expirer' })
    await dialog.waitFor()
    const stay = dialog.getByRole('button', { name: 'Rester connecté(e)' })
    const notReached = dialog.getByText('Le serveur n’a pas pu être joint : votre session n’a pas été prolongée.')
    await page.route('**/api/session', route => route.fulfill({ status: 503, contentType: 'text/html', body: '<html>Service Unavailable</html>' }))
    await stay.click()
    await notReached.waitFor()
    await page.unroute('**/api/session')
    await page.route('**/api/session', route => route.abort('connectionrefused'))
    await stay.click()
    await page.waitForTimeout(1_500)
    expect(await notReached.isVisible()).toBe(true)
    expect(new URL(page.url()).pathname).toBe('/compte')
    await expectNoAxeViolations(page)
    await page.unroute('**/api/session')
    // The server answers again: the retry extends the session and the dialog goes.
    await setServerDeadline(sessionId, new Date(Date.now() + 90_000))
    await shiftPageClock(page, 0)
    await stay.click()
    await dialog.waitFor({ state: 'hidden' })
    const [row] = await app.database.handle.db.select().from(sessions).where(eq(sessions.id, sessionId))
    expect(row && row.expiresAt.getTime() - Date.now()).toBeGreaterThan(10 * 60_000)
    expect(new URL(page.url()).pathname).toBe('/compte')
    await page.context().close()
  })

  it('when the server says the session is over, ends it at once', async () => {
    const { page, sessionId } = await signedInPage()
    await shiftPageClock(page, 13.5 * 60_000)
    const dialog = page.getByRole('dialog', { name: 'Votre session va expirer' })
    await dialog.waitFor()
    await app.database.handle.db.delete(sessions).where(eq(sessions.id, sessionId))
    await dialog.getByRole('button', { name: 'Rester connecté(e)' }).click()
    await page.waitForURL(/\/connexion\?motif=session-expiree/)
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
