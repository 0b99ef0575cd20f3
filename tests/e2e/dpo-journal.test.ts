import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { eq } from 'drizzle-orm'
import { type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AuditExport } from '#journal/export.ts'
import { publicKeyFromBase64, rawPublicKey } from '#journal/keys.ts'
import { verifyExport } from '#journal/verify.ts'
import { recordAudit } from '#db/journal/record.ts'
import { auditAlertReviews } from '#db/schema.ts'
import { sessionCookie } from '#tests/support/account-factory.ts'
import { projectRoot } from '#tests/support/app-process.ts'
import { expectNoAxeViolations } from '#tests/support/axe.ts'
import { chromiumAvailable, launchChromium } from '#tools/browser/chromium.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'
import { createJournalFixtures, FIXTURE_TOTP_KEY, keyMaterialIn, lastSaturdayNightMs, type JournalFixtures } from '#tests/support/journal-fixtures.ts'
import { nextTotpCode } from '#tests/support/totp.ts'

const COMMENT = 'Accès un samedi à 23 h : à voir avec la personne.'

/** How the off-hours rule names a day (app/journal/anomalies/calendar.ts): "samedi 21 novembre 2026", "1er" for the first. */
function frenchDay(atMs: number): string {
  return new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' })
    .formatToParts(atMs)
    .map(part => (part.type === 'day' && part.value === '1' ? '1er' : part.value))
    .join('')
}

function runVerifier(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts', ...args], { cwd: projectRoot, env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' } as NodeJS.ProcessEnv })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('close', code => resolve({ code, output }))
  })
}

describe.skipIf(!chromiumAvailable())('the access journal, as a new DPO would use it', () => {
  let app: InProcessApp
  let browser: Browser
  let f: JournalFixtures
  const directory = mkdtempSync(path.join(tmpdir(), 'cellule-dpo-journal-'))
  const problems: string[] = []

  function watch(page: Page, who: string) {
    page.on('pageerror', error => problems.push(`${who}: ${error.message}`))
    page.on('console', message => {
      // The refused review (empty comment) is a 422 the browser logs as a failed load: expected once.
      if (message.type() === 'error' && !/status of 422/.test(message.text())) problems.push(`${who}: ${message.text()}`)
    })
  }

  async function waitForHydration(page: Page) {
    await page.waitForFunction(() => Boolean((window as unknown as { __remixContext?: unknown }).__remixContext))
    await page.waitForLoadState('networkidle')
  }

  beforeAll(async () => {
    ;[app, browser] = await Promise.all([startInProcessApp(), launchChromium()])
    f = await createJournalFixtures(app.runtime, { domain: 'journal-e2e.fr' })
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
    rmSync(directory, { recursive: true, force: true })
  })

  it('finds who read the members list, reviews an off-hours alert and verifies the signed export', async () => {
    const db = app.database.handle.db

    // The member opens the members page in their own browser: the real `cell.members.read`.
    const memberContext = await browser.newContext({ locale: 'fr-FR' })
    await memberContext.addCookies([sessionCookie({ url: app.url, token: f.member.sessionToken })])
    const memberPage = await memberContext.newPage()
    watch(memberPage, 'membre')
    await memberPage.goto(`${app.url}/cellules/${f.cellId}/membres`)
    await waitForHydration(memberPage)
    await memberPage.getByRole('heading', { name: 'Membres', level: 1 }).waitFor()
    await memberContext.close()

    // Back-dated on purpose: an off-hours access (Saturday 23:00, Paris) that the test cannot wait for.
    const saturdayNight = lastSaturdayNightMs()
    const offHoursEventId = await recordAudit(
      db,
      { type: 'cell.members.read', outcome: 'success', policyAction: 'cell:members:read', resource: 'members' },
      { cellId: f.cellId, actorUserId: f.member.userId, actorRole: 'member', occurredAtMs: saturdayNight },
    )

    // The DPO logs in like a person: email, password, then the code of their authenticator app.
    const context = await browser.newContext({ locale: 'fr-FR', acceptDownloads: true })
    const page = await context.newPage()
    watch(page, 'DPO')
    await page.goto(`${app.url}/connexion`)
    await waitForHydration(page)
    await page.getByLabel('Adresse électronique').fill(f.dpo.email)
    await page.getByLabel('Mot de passe', { exact: true }).fill(f.dpo.password)
    await page.getByRole('button', { name: 'Se connecter' }).click()
    await page.getByLabel('Code à 6 chiffres').waitFor({ timeout: 30_000 })
    const { code } = await nextTotpCode({ manualKey: FIXTURE_TOTP_KEY, email: f.dpo.email, lastStep: 0 })
    await page.getByLabel('Code à 6 chiffres').fill(code)
    await page.getByRole('button', { name: 'Valider le code' }).click()
    await page.waitForURL(`${app.url}/compte`)

    // Mes cellules → the cell → "Journal d’accès" in the cell's navigation.
    await page.getByRole('link', { name: 'Mes cellules' }).click()
    await page.getByRole('heading', { name: 'Mes cellules', level: 1 }).waitFor()
    await page.getByRole('link', { name: 'Cellule du journal' }).click()
    await page.waitForURL(`${app.url}/cellules/${f.cellId}`)
    await page.getByRole('navigation', { name: 'Navigation de la cellule Cellule du journal' }).getByRole('link', { name: 'Journal d’accès' }).click()
    // A route module that fails in the browser makes Remix reload the page it came from: say why.
    await expect.poll(() => ({ url: page.url(), problems }), { timeout: 15_000 }).toEqual({ url: `${app.url}/cellules/${f.cellId}/journal`, problems: [] })
    await page.getByRole('heading', { name: 'Journal d’accès', level: 1 }).waitFor()
    await expectNoAxeViolations(page)

    // Who consulted the members list: the member, with dates.
    await page.getByRole('link', { name: 'Qui a consulté une ressource ?' }).click()
    await page.getByRole('heading', { name: 'Qui a consulté cette ressource ?' }).waitFor()
    await page.getByLabel('Ressource', { exact: true }).selectOption({ label: 'Liste des membres' })
    await page.getByRole('button', { name: 'Afficher' }).click()
    await page.waitForURL(`${app.url}/cellules/${f.cellId}/journal/consultations?ressource=members`)
    const viewers = page.getByRole('table', { name: 'Personnes ayant consulté « Liste des membres »' })
    const memberRow = viewers.getByRole('row').filter({ hasText: f.member.displayName })
    await memberRow.waitFor()
    const cells = await memberRow.getByRole('cell').allInnerTexts()
    expect(cells.slice(0, 4)).toEqual([f.member.displayName, 'Membre', '2', '0'])
    const parisDate = /^\d{1,2} [a-zéû]+\.? \d{4}, \d{2}:\d{2}:\d{2}$/
    expect(cells[4]).toMatch(parisDate)
    expect(cells[4]).toMatch(/23:00:00$/)
    expect(cells[5]).toMatch(parisDate)
    expect(await viewers.getByRole('row').count()).toBe(2)
    await expectNoAxeViolations(page)
    await page.getByRole('link', { name: '← Journal d’accès' }).click()
    await page.getByRole('heading', { name: 'Journal d’accès', level: 1 }).waitFor()

    // The off-hours alert: "à approfondir" without a comment is refused and stores nothing.
    const alert = page
      .getByRole('listitem')
      .filter({ has: page.getByRole('heading', { name: `Accès hors des heures ouvrées — ${f.member.displayName}` }) })
      .filter({ hasText: `1 accès le ${frenchDay(saturdayNight)} à 23 h 00 (heure de Paris)` })
    // Past three open alerts the others fold away (issue 12, item 11): at night this test's own accesses add some.
    const more = page.getByText(/^Voir les \d+ autres alertes à revoir$/)
    if ((await more.count()) > 0 && !(await alert.isVisible())) await more.click()
    await alert.waitFor()
    await alert.getByText('À approfondir', { exact: true }).click()
    await alert.getByRole('button', { name: 'Enregistrer la revue' }).click()
    await alert.getByText('Expliquez en quelques mots pourquoi l’alerte est à approfondir.').waitFor()
    expect(await db.select().from(auditAlertReviews).where(eq(auditAlertReviews.cellId, f.cellId))).toEqual([])

    // With the keyboard only: Tab from the top of the page into the form, choose "À approfondir", type, submit.
    await alert.getByText('Revue, sans suite', { exact: true }).click()
    await page.getByRole('heading', { name: 'Journal d’accès', level: 1 }).click()
    const focused = () => page.evaluate(() => ({ id: document.activeElement?.id ?? '', value: (document.activeElement as HTMLInputElement | null)?.value, tag: document.activeElement?.tagName }))
    const formIds = `off-hours-${offHoursEventId}`
    let tabs = 0
    while (!(await focused()).id.startsWith(formIds)) {
      await page.keyboard.press('Tab')
      expect((tabs += 1)).toBeLessThan(40)
    }
    expect(await focused()).toEqual({ id: `${formIds}-revue`, value: 'reviewed', tag: 'INPUT' })
    await page.keyboard.press('ArrowDown')
    expect(await focused()).toEqual({ id: `${formIds}-approfondir`, value: 'escalated', tag: 'INPUT' })
    expect(await alert.getByRole('radio', { name: 'À approfondir' }).isChecked()).toBe(true)
    await page.keyboard.press('Tab')
    expect((await focused()).tag).toBe('TEXTAREA')
    await page.keyboard.type(COMMENT)
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Enregistrer la revue')
    await page.keyboard.press('Enter')
    await page.getByText('Alerte marquée « à approfondir ».').waitFor()

    // The alert is now under "Alertes déjà revues".
    const reviewedSummary = page.getByText(/^Alertes déjà revues \(\d+\)$/)
    await reviewedSummary.click()
    const reviewed = page.getByRole('group').filter({ has: reviewedSummary }).getByRole('listitem').filter({ hasText: f.member.displayName })
    await expect.poll(() => reviewed.innerText()).toContain(`à approfondir par ${f.dpo.displayName}`)
    expect(await reviewed.innerText()).toContain(`« ${COMMENT} »`)
    const stored = await db.select().from(auditAlertReviews).where(eq(auditAlertReviews.cellId, f.cellId))
    expect(stored.map(({ alertId, status, comment, reviewerUserId }) => ({ alertId, status, comment, reviewerUserId }))).toEqual([
      { alertId: `off-hours:${offHoursEventId}`, status: 'escalated', comment: COMMENT, reviewerUserId: f.dpo.userId },
    ])

    // The signed export, verified against the key shown on the page, in code and with the command.
    const publicKey = (await page.getByTestId('cle-publique-journal').innerText()).trim()
    expect(publicKey).toBe(rawPublicKey(app.signer.key.publicKey).toString('base64'))
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Exporter le journal signé de la cellule' }).click()])
    expect(download.suggestedFilename()).toMatch(/^journal-cellule-[0-9a-f]{8}-\d{4}-\d{2}-\d{2}\.json$/)
    const file = path.join(directory, download.suggestedFilename())
    await download.saveAs(file)
    const text = readFileSync(file, 'utf8')
    const exported = JSON.parse(text) as AuditExport
    expect(verifyExport({ file: exported, trustedPublicKey: publicKeyFromBase64(publicKey) })).toMatchObject({ ok: true, scope: 'cell' })
    const verified = await runVerifier([file, '--public-key', publicKey])
    expect(verified.output).not.toMatch(/falsifi|tamper/i)
    expect(verified.code).toBe(0)

    // It holds the member's real read of the members page and the review; no keys, no ciphertext.
    const actionOf = new Map(exported.leaves.map(({ leaf }) => [leaf.eventId, leaf.action]))
    const details = (exported.details ?? []).map(record => ({ action: actionOf.get(record.eventId), ...(record.detail as Record<string, unknown>) }))
    expect(details).toContainEqual(expect.objectContaining({ action: 'cell.members.read', actorUserId: f.member.userId, resource: 'members', route: `GET /cellules/${f.cellId}/membres` }))
    expect(details).toContainEqual(
      expect.objectContaining({ action: 'audit.alert.reviewed', actorUserId: f.dpo.userId, data: { alertId: `off-hours:${offHoursEventId}`, status: 'escalated' } }),
    )
    expect(exported.leaves.every(({ leaf }) => leaf.cellId === f.cellId)).toBe(true)
    const leaked = await keyMaterialIn({ db, text, userIds: [f.coordinator.userId, f.member.userId, f.dpo.userId] })
    expect(leaked.searched).toBeGreaterThan(10)
    expect(leaked.found).toEqual([])
    expect(leaked.suspiciousFields).toEqual([])

    expect(problems).toEqual([])
  })
})
