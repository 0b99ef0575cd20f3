import { type Browser, type Page } from 'playwright-core'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInvitation, invitationLinkPath } from '#db/invitations.ts'
import { expectNoAxeViolations, expectNoAxeViolationsAtWidths } from '#tests/support/axe.ts'
import { chromiumAvailable, launchChromium } from '#tools/browser/chromium.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'
import { nextTotpCode } from '#tests/support/totp.ts'

const EMAIL = 'nouvelle.personne@exemple.fr'
// Canaries: if any of these reaches the network, the database or the logs, the test fails.
const PASSWORDS = ['Canari-Premier-Mdp-7391!', 'Canari-Deuxieme-Mdp-4826?', 'Canari-Troisieme-Mdp-5150#', 'Canari-Quatrieme-Mdp-0001!']

type RecordedRequest = { url: string; headers: string; body: string }

describe.skipIf(!chromiumAvailable())('accounts, as a new user would click them', () => {
  let app: InProcessApp
  let browser: Browser
  let page: Page
  const requests: RecordedRequest[] = []
  /** Every one-time token this file issues: none may reach the request log or a URL sent to the server. */
  const issuedTokens: string[] = []
  const problems: string[] = []

  beforeAll(async () => {
    ;[app, browser] = await Promise.all([startInProcessApp(), launchChromium()])
    const context = await browser.newContext({ locale: 'fr-FR' })
    page = await context.newPage()
    page.on('request', request =>
      requests.push({ url: request.url(), headers: JSON.stringify(request.headers()), body: request.postData() ?? '' }),
    )
    page.on('console', message => {
      if (message.type() === 'error') problems.push(message.text())
    })
    page.on('pageerror', error => problems.push(error.message))
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  async function waitForHydration() {
    await page.waitForFunction(() => Boolean((window as unknown as { __remixContext?: unknown }).__remixContext))
    await page.waitForLoadState('networkidle')
  }

  let manualKey = ''
  let lastStep = 0
  async function typeTotp(label: RegExp) {
    const { code, step } = await nextTotpCode({ manualKey, email: EMAIL, lastStep })
    lastStep = step
    await page.getByLabel(label).fill(code)
  }

  async function logIn(password: string) {
    await page.goto(`${app.url}/connexion`)
    await waitForHydration()
    await page.getByLabel('Adresse électronique').fill(EMAIL)
    await page.getByLabel('Mot de passe', { exact: true }).fill(password)
    await page.getByRole('button', { name: 'Se connecter' }).click()
    await page.getByLabel('Code à 6 chiffres').waitFor()
    await typeTotp(/Code à 6 chiffres/)
    await page.getByRole('button', { name: 'Valider le code' }).click()
    await page.waitForURL(`${app.url}/compte`)
    await page.getByRole('heading', { name: 'Mon compte' }).waitFor()
  }

  /** Types back the group of the recovery code the page asks for. */
  async function typeRecoveryGroup(code: string) {
    const groupLabel = await page.getByLabel(/groupe de 4 caractères/).evaluate(input => (input as HTMLInputElement).labels?.[0]?.textContent ?? '')
    const ordinals = ['premier', 'deuxième', 'troisième', 'quatrième', 'cinquième', 'sixième', 'septième']
    const groupIndex = ordinals.findIndex(word => groupLabel.includes(`le ${word} groupe`))
    expect(groupIndex).toBeGreaterThan(0)
    await page.getByLabel(/groupe de 4 caractères/).fill(code.split('-')[groupIndex] as string)
  }

  async function logOut() {
    await page.getByRole('button', { name: 'Se déconnecter' }).click()
    await page.waitForURL(/\/connexion\?motif=deconnecte/)
  }

  it('goes from invitation to registration, recovery code, second factor, logout, login, password change and recovery', async () => {
    const { token } = await createInvitation(app.database.handle.db, { email: EMAIL, purpose: 'registration' })
    issuedTokens.push(token)

    // Registration: the link carries its token in the fragment, which the browser never sends.
    await page.goto(`${app.url}${invitationLinkPath(token)}`)
    await waitForHydration()
    await expectNoAxeViolations(page)
    await page.getByLabel('Prénom et nom').fill('Claire Nouvelle')
    await page.getByLabel(/^Profession/).selectOption('medecin')
    await page.getByLabel(/Numéro RPPS/).fill('10001234565')
    await page.getByLabel(/^Mot de passe/).fill(PASSWORDS[0] as string)
    await page.getByLabel('Confirmation du mot de passe').fill(PASSWORDS[0] as string)
    await expect.poll(() => page.locator('#robustesse').innerText(), { timeout: 30_000 }).toMatch(/Robustesse du mot de passe : (Bon|Excellent)/)
    await page.getByRole('button', { name: 'Continuer' }).click()

    // The recovery code, shown once; one group must be typed back.
    const codeElement = page.getByTestId('code-recuperation')
    await codeElement.waitFor({ timeout: 30_000 })
    const recoveryCode = (await codeElement.innerText()).trim()
    expect(recoveryCode).toMatch(/^([0-9A-Z]{4}-){6}[0-9A-Z]{4}$/)
    await expectNoAxeViolations(page)
    await page.getByLabel(/groupe de 4 caractères/).fill('ZZZZ')
    await page.getByRole('button', { name: /créer mon compte/ }).click()
    await expect.poll(() => page.locator('.fr-error-text').innerText()).toMatch(/Ce n’est pas le/)
    await typeRecoveryGroup(recoveryCode)
    await page.getByRole('button', { name: /créer mon compte/ }).click()

    // Second factor enrolment.
    await page.waitForURL(`${app.url}/compte/double-authentification`)
    await expectNoAxeViolations(page)
    manualKey = await page.getByTestId('cle-totp').innerText()
    await typeTotp(/Code à 6 chiffres affiché/)
    await page.getByRole('button', { name: 'Activer' }).click()
    await page.waitForURL(`${app.url}/compte?activation=totp`)
    await expect.poll(() => page.getByText('La double authentification est activée').count()).toBe(1)
    await expectNoAxeViolations(page)
    const fingerprint = await page.getByTestId('empreinte').innerText()

    // Logout, then login with both factors.
    await logOut()
    await expectNoAxeViolations(page)
    await logIn(PASSWORDS[0] as string)

    // Password change, then login with the new password.
    await page.getByRole('link', { name: 'Changer mon mot de passe' }).click()
    await page.waitForURL(`${app.url}/compte/mot-de-passe`)
    await waitForHydration()
    await expectNoAxeViolations(page)
    await page.getByLabel('Mot de passe actuel').fill(PASSWORDS[0] as string)
    await page.getByLabel(/^Nouveau mot de passe/).fill(PASSWORDS[1] as string)
    await page.getByLabel('Confirmation du nouveau mot de passe').fill(PASSWORDS[1] as string)
    await page.getByRole('button', { name: 'Changer le mot de passe' }).click()
    await page.waitForURL(/\/connexion\?motif=mot-de-passe-modifie/)
    await logIn(PASSWORDS[1] as string)
    await logOut()

    // Forgotten password: the recovery code sets a third password; the keys are the same.
    await page.getByRole('link', { name: 'Mot de passe oublié ?' }).click()
    await page.waitForURL(`${app.url}/mot-de-passe-oublie`)
    await waitForHydration()
    await expectNoAxeViolations(page)
    await page.getByLabel('Adresse électronique').fill(EMAIL)
    await page.getByLabel(/Code de récupération/).fill(recoveryCode.toLowerCase())
    await page.getByLabel(/^Nouveau mot de passe/).fill(PASSWORDS[2] as string)
    await page.getByLabel('Confirmation du nouveau mot de passe').fill(PASSWORDS[2] as string)
    await page.getByRole('button', { name: 'Choisir ce nouveau mot de passe' }).click()

    // The code used is spent: a new one is shown once, and must be noted before anything is saved.
    const newCodeElement = page.getByTestId('code-recuperation')
    await newCodeElement.waitFor({ timeout: 30_000 })
    const newRecoveryCode = (await newCodeElement.innerText()).trim()
    expect(newRecoveryCode).toMatch(/^([0-9A-Z]{4}-){6}[0-9A-Z]{4}$/)
    expect(newRecoveryCode).not.toBe(recoveryCode)
    await expectNoAxeViolationsAtWidths(page)
    await typeRecoveryGroup(newRecoveryCode)
    await page.getByRole('button', { name: 'J’ai noté mon nouveau code, enregistrer' }).click()
    await page.waitForURL(/\/connexion\?motif=compte-recupere/)

    // The same code a second time: refused, with what to do.
    await page.goto(`${app.url}/mot-de-passe-oublie`)
    await waitForHydration()
    await page.getByLabel('Adresse électronique').fill(EMAIL)
    await page.getByLabel(/Code de récupération/).fill(recoveryCode)
    await page.getByLabel(/^Nouveau mot de passe/).fill(PASSWORDS[3] as string)
    await page.getByLabel('Confirmation du nouveau mot de passe').fill(PASSWORDS[3] as string)
    await page.getByRole('button', { name: 'Choisir ce nouveau mot de passe' }).click()
    await expect.poll(() => page.getByRole('alert').allInnerTexts()).toContainEqual(expect.stringMatching(/Un code ne sert qu’une fois/))
    expect(await page.getByTestId('code-recuperation').count()).toBe(0)

    await logIn(PASSWORDS[2] as string)
    expect(await page.getByTestId('empreinte').innerText()).toBe(fingerprint)

    expect(problems).toEqual([])
  })

  it('refuses KDF parameters below the floor served by a hostile server, before sending anything', async () => {
    const context = await browser.newContext({ locale: 'fr-FR' })
    const hostile = await context.newPage()
    const loginCalls: string[] = []
    hostile.on('request', request => {
      if (request.url().includes('/api/auth/login')) loginCalls.push(request.url())
    })
    await hostile.route('**/api/auth/pre-login', route =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ algorithm: 'argon2id13', opsLimit: 1, memLimitBytes: 8 * 1024 * 1024, saltSeed: 'A'.repeat(43) }) }),
    )
    await hostile.goto(`${app.url}/connexion`)
    await hostile.waitForFunction(() => Boolean((window as unknown as { __remixContext?: unknown }).__remixContext))
    await hostile.waitForLoadState('networkidle')
    await hostile.getByLabel('Adresse électronique').fill(EMAIL)
    await hostile.getByLabel('Mot de passe', { exact: true }).fill('un-mot-de-passe-quelconque')
    await hostile.getByRole('button', { name: 'Se connecter' }).click()
    await expect.poll(() => hostile.getByRole('alert').allInnerTexts()).toContainEqual(expect.stringMatching(/trop faibles/))
    expect(loginCalls).toEqual([])
    await context.close()
  })

  it('opens a link issued before the fragment (/invitation/<token>) on the same registration, and no token reaches the logs or a URL the server saw', async () => {
    const { token } = await createInvitation(app.database.handle.db, { email: 'ancien.lien@exemple.fr', purpose: 'registration' })
    issuedTokens.push(token)
    const legacyUrl = `${app.url}/invitation/${token}`
    await page.goto(legacyUrl)
    await page.waitForURL(`${app.url}/invitation#${token}`)
    await page.getByText('ancien.lien@exemple.fr').waitFor()
    await page.getByLabel('Prénom et nom').waitFor()
    await expectNoAxeViolationsAtWidths(page)

    // The same page with the fragment cut off says what to do rather than failing.
    await page.goto(`${app.url}/invitation`)
    await page.getByRole('heading', { name: 'Lien d’invitation incomplet' }).waitFor()
    await expectNoAxeViolationsAtWidths(page)

    expect(issuedTokens).toHaveLength(2)
    const logs = app.logs()
    expect(logs).toContain('/invitation/[secret]')
    for (const issued of issuedTokens) {
      expect(logs).not.toContain(issued)
      // Only the legacy link's own first request carries its token (the old format, by construction).
      for (const request of requests.filter(request => request.url !== legacyUrl)) expect(request.url).not.toContain(issued)
    }
  })

  it('never lets a password leave the browser, reach the database or the logs', async () => {
    expect(requests.length).toBeGreaterThan(20)
    const loginCalls = requests.filter(request => request.url.endsWith('/api/auth/login'))
    expect(loginCalls.length).toBe(3)
    for (const password of PASSWORDS) {
      for (const request of requests) {
        expect(request.url).not.toContain(password)
        expect(request.headers).not.toContain(password)
        expect(request.body).not.toContain(password)
      }
      expect(app.logs()).not.toContain(password)
    }

    const db = app.database.handle.db
    const tables = (await db.execute(sql`select schemaname, tablename from pg_tables where schemaname in ('public', 'drizzle')`)) as unknown as {
      rows: { schemaname: string; tablename: string }[]
    }
    let dump = ''
    for (const { schemaname, tablename } of tables.rows) {
      const rows = (await db.execute(sql.raw(`select row_to_json(t)::text as line from "${schemaname}"."${tablename}" t`))) as unknown as { rows: { line: string }[] }
      dump += rows.rows.map(row => row.line).join('\n')
    }
    expect(dump).toContain(EMAIL)
    for (const password of PASSWORDS) expect(dump).not.toContain(password)
  })
})
