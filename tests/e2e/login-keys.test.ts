import { randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CHARTER } from '#charter/default-charter.ts'
import { charterHash } from '#charter/hash.ts'
import { insertCell, insertCellInvitation } from '#db/cells.ts'
import { users } from '#db/schema.ts'
import { expectNoAxeViolationsAtWidths } from '#tests/support/axe.ts'
import { createAccountFixture, FIXTURE_TOTP_SECRET, type AccountFixture } from '#tests/support/account-factory.ts'
import { chromiumAvailable, launchChromium } from '#tools/browser/chromium.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'
import { nextTotpCode } from '#tests/support/totp.ts'

const MIB = 1024 * 1024

/**
 * Decision 021 and issue 12 item 7, as a person meets them in Chromium: the device pins the KDF
 * parameters of an account after a login and refuses weaker ones (or another salt seed) before the
 * password is used; the keys open at login whatever the path, and the page the person was going to
 * survives the second-factor steps.
 */
describe.skipIf(!chromiumAvailable())('login: KDF parameters pinned on the device, keys open, destination kept', () => {
  let app: InProcessApp
  let browser: Browser

  beforeAll(async () => {
    ;[app, browser] = await Promise.all([startInProcessApp(), launchChromium()])
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  async function openPage(context: BrowserContext, path: string): Promise<{ page: Page; problems: string[] }> {
    const page = await context.newPage()
    const problems: string[] = []
    page.on('console', message => {
      if (message.type() === 'error') problems.push(message.text())
    })
    page.on('pageerror', error => problems.push(error.message))
    await page.goto(`${app.url}${path}`)
    await page.waitForFunction(() => Boolean((window as unknown as { __remixContext?: unknown }).__remixContext))
    await page.waitForLoadState('networkidle')
    return { page, problems }
  }

  async function typeCredentials(page: Page, account: AccountFixture) {
    await page.getByLabel('Adresse électronique').fill(account.email)
    await page.getByLabel('Mot de passe', { exact: true }).fill(account.password)
    await page.getByRole('button', { name: 'Se connecter' }).click()
  }

  let lastStep = 0
  async function typeTotp(page: Page, { label, manualKey, email }: { label: RegExp; manualKey: string; email: string }) {
    const { code, step } = await nextTotpCode({ manualKey, email, lastStep })
    lastStep = step
    await page.getByLabel(label).fill(code)
  }

  it('refuses, before sending anything, memory or passes lower than this device saw, or another salt seed', async () => {
    // An account derived above the default: what a device pins once the default is raised.
    const account = await createAccountFixture(app.runtime, {
      email: 'epingle@exemple.fr',
      password: 'mot-de-passe-epingle-1',
      displayName: 'Élise Épingle',
      profession: 'infirmier',
      kdf: { opsLimit: 4, memLimitBytes: 80 * MIB },
    })
    const db = app.database.handle.db
    const context = await browser.newContext({ locale: 'fr-FR' })
    const { page, problems } = await openPage(context, '/connexion')
    const loginCalls: string[] = []
    page.on('request', request => {
      if (request.url().endsWith('/api/auth/login')) loginCalls.push(request.url())
    })

    // First login on this device: accepted, and the parameters are pinned.
    await typeCredentials(page, account)
    await page.getByLabel('Code à 6 chiffres').waitFor({ timeout: 30_000 })
    expect(loginCalls).toHaveLength(1)

    const [stored] = await db.select().from(users).where(eq(users.id, account.userId))
    const cases = [
      { what: 'memory', change: { kdfMemLimitBytes: 64 * MIB } },
      { what: 'passes', change: { kdfOpsLimit: 3 } },
      { what: 'salt seed', change: { saltSeed: Buffer.alloc(32, 7).toString('base64url') } },
    ]
    for (const { change } of cases) {
      await db.update(users).set(change).where(eq(users.id, account.userId))
      await page.goto(`${app.url}/connexion`)
      await page.waitForLoadState('networkidle')
      await typeCredentials(page, account)
      const alert = page.getByRole('alert').filter({ hasText: 'Connexion bloquée par sécurité' })
      await alert.waitFor({ timeout: 30_000 })
      expect(await alert.innerText()).toMatch(/plus faibles que ceux que cet appareil a déjà vus[\s\S]*n’a pas été utilisé ni envoyé[\s\S]*prévenez l’administration/)
      expect(loginCalls).toHaveLength(1)
      await db
        .update(users)
        .set({ kdfMemLimitBytes: stored?.kdfMemLimitBytes, kdfOpsLimit: stored?.kdfOpsLimit, saltSeed: stored?.saltSeed })
        .where(eq(users.id, account.userId))
    }
    await expectNoAxeViolationsAtWidths(page)

    // Another device (a fresh browser profile) has no pin: the same weaker parameters pass there.
    await db.update(users).set({ kdfMemLimitBytes: 64 * MIB }).where(eq(users.id, account.userId))
    const otherDevice = await browser.newContext({ locale: 'fr-FR' })
    const other = await openPage(otherDevice, '/connexion')
    await typeCredentials(other.page, account)
    // Derived at 64 MiB, so the authSecret is not the one the server stored: a plain wrong password.
    await expect.poll(() => other.page.getByRole('alert').allInnerTexts(), { timeout: 30_000 }).toContainEqual(expect.stringMatching(/incorrect/))
    expect(problems.filter(problem => !/401/.test(problem))).toEqual([])
    expect(other.problems.filter(problem => !/401/.test(problem))).toEqual([])
    await otherDevice.close()
    await context.close()
  })

  it('first login without a second factor: the keys open at login, and enrolment leads where the person was going', async () => {
    const account = await createAccountFixture(app.runtime, {
      email: 'premiere.connexion@exemple.fr',
      password: 'mot-de-passe-premiere-1',
      displayName: 'Paul Premier',
      profession: 'infirmier',
      secondFactor: false,
    })
    const db = app.database.handle.db
    const cell = await insertCell(db, {
      slug: `destination-${randomUUID().slice(0, 6)}`,
      name: 'Cellule de destination',
      communes: ['Bondy'],
      hostInstitution: 'Ville de Bondy',
      dpoContact: 'dpo@bondy.fr',
      createdBy: null,
      charter: DEFAULT_CHARTER,
      charterHash: await charterHash(DEFAULT_CHARTER),
    })
    const { id: invitationId } = await insertCellInvitation(db, { cellId: cell.id, kind: 'member', email: account.email, role: 'member', createdBy: null, expiresAt: new Date(Date.now() + 3_600_000) })
    const destination = `/rejoindre/${invitationId}`

    const context = await browser.newContext({ locale: 'fr-FR' })
    const { page, problems } = await openPage(context, destination)
    await page.waitForURL(url => url.pathname === '/connexion' && url.searchParams.get('redirectTo') === destination)
    await typeCredentials(page, account)

    await page.waitForURL(url => url.pathname === '/compte/double-authentification' && url.searchParams.get('suite') === destination, { timeout: 30_000 })
    const manualKey = await page.getByTestId('cle-totp').innerText()
    await typeTotp(page, { label: /Code à 6 chiffres affiché/, manualKey, email: account.email })
    await page.getByRole('button', { name: 'Activer' }).click()

    // Where the person was going, with the keys open: no second password prompt.
    await page.waitForURL(`${app.url}${destination}`)
    await page.getByLabel('Code d’invitation').waitFor()
    expect(await page.getByRole('heading', { name: 'Déverrouiller vos clés' }).count()).toBe(0)

    // Later logins, second factor enrolled: the same, through the code step.
    await page.getByRole('button', { name: 'Se déconnecter' }).click()
    await page.waitForURL(/\/connexion\?motif=deconnecte/)
    await page.goto(`${app.url}${destination}`)
    await page.waitForURL(url => url.pathname === '/connexion')
    await page.waitForLoadState('networkidle')
    await typeCredentials(page, account)
    await page.getByLabel('Code à 6 chiffres').waitFor({ timeout: 30_000 })
    await typeTotp(page, { label: /Code à 6 chiffres/, manualKey, email: account.email })
    await page.getByRole('button', { name: 'Valider le code' }).click()
    await page.waitForURL(`${app.url}${destination}`)
    await page.getByLabel('Code d’invitation').waitFor()
    expect(await page.getByRole('heading', { name: 'Déverrouiller vos clés' }).count()).toBe(0)
    expect(manualKey.replace(/\s/g, '')).not.toBe(FIXTURE_TOTP_SECRET)
    expect(problems).toEqual([])
    await context.close()
  })
})
