import { eq } from 'drizzle-orm'
import { type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cellInvitations, cells } from '#db/schema.ts'
import { createAccountFixture, sessionCookie, type AccountFixture } from '#tests/support/account-factory.ts'
import { expectNoAxeViolationsAtWidths } from '#tests/support/axe.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'
import { createJournalFixtures, type JournalFixtures } from '#tests/support/journal-fixtures.ts'
import { chromiumAvailable, launchChromium } from '#tools/browser/chromium.ts'

/**
 * Issue 12, item 6: the platform admin's create-cell form validates, empties itself after a
 * success and refuses a twin; an empty cell can be archived, after a confirmation step, and leaves
 * the public home page.
 */
describe.skipIf(!chromiumAvailable())('platform administration: creating and archiving cells', () => {
  let app: InProcessApp
  let browser: Browser
  let admin: AccountFixture
  let f: JournalFixtures
  const problems: string[] = []

  beforeAll(async () => {
    ;[app, browser] = await Promise.all([startInProcessApp(), launchChromium()])
    f = await createJournalFixtures(app.runtime, { domain: 'admin-e2e.fr' })
    admin = await createAccountFixture(app.runtime, { email: 'plateforme@admin-e2e.fr', password: 'Admin-plateforme-2026!', displayName: 'Alix Plateforme', profession: 'autre', platformRole: 'platform_admin' })
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  async function adminPage(): Promise<Page> {
    const context = await browser.newContext({ locale: 'fr-FR' })
    await context.addCookies([sessionCookie({ url: app.url, token: admin.sessionToken })])
    const page = await context.newPage()
    page.on('pageerror', error => problems.push(error.message))
    page.on('console', message => {
      // Refused forms (422, 409) are failed loads the browser logs: expected here.
      if (message.type() === 'error' && !/status of 4(22|09)/.test(message.text())) problems.push(message.text())
    })
    await page.goto(`${app.url}/admin`)
    await page.waitForFunction(() => Boolean((window as unknown as { __remixContext?: unknown }).__remixContext))
    await page.waitForLoadState('networkidle')
    return page
  }

  async function fillCell(page: Page, { name, communes }: { name: string; communes: string }) {
    await page.getByLabel('Nom de la cellule').fill(name)
    await page.getByLabel('Communes couvertes').fill(communes)
    await page.getByLabel('Institution porteuse').fill('Ville de Bondy')
    await page.getByLabel('Adresse électronique du ou de la DPO').fill('dpo@bondy.admin-e2e.fr')
    await page.getByLabel('Adresse électronique de la première coordination').fill('coordination@bondy.admin-e2e.fr')
    await page.getByRole('button', { name: 'Créer la cellule' }).click()
  }

  it('refuses « , , » as communes, empties the form after a creation, refuses a twin, and archives an empty cell after confirming', async () => {
    const db = app.database.handle.db
    const page = await adminPage()
    await page.getByRole('heading', { name: 'Administration de la plateforme', level: 1 }).waitFor()
    await expectNoAxeViolationsAtWidths(page)

    // « , , » passes a length check but names no commune.
    await fillCell(page, { name: 'Cellule de Bondy', communes: ', ,' })
    await page.getByText('Indiquez au moins une commune : des noms séparés par des virgules, par exemple « Sevran, Villepinte ».').waitFor()
    expect(await page.getByLabel('Communes couvertes').getAttribute('aria-invalid')).toBe('true')
    expect(await db.select().from(cells).where(eq(cells.name, 'Cellule de Bondy'))).toEqual([])

    // A valid cell: created, the links shown, and the form is empty again.
    await fillCell(page, { name: 'Cellule de Bondy', communes: 'Bondy, Pantin' })
    await page.getByRole('heading', { name: 'Cellule « Cellule de Bondy » créée' }).waitFor()
    for (const label of ['Nom de la cellule', 'Communes couvertes', 'Institution porteuse', 'Adresse électronique du ou de la DPO', 'Adresse électronique de la première coordination']) {
      expect(await page.getByLabel(label).inputValue(), label).toBe('')
    }
    const [bondy] = await db.select().from(cells).where(eq(cells.name, 'Cellule de Bondy'))
    expect(bondy?.communes).toEqual(['Bondy', 'Pantin'])

    // The same name again (other case and spacing): refused on the name field, no twin.
    await fillCell(page, { name: '  cellule de  BONDY ', communes: 'Bondy' })
    await page.getByText('Une cellule en service porte déjà ce nom : choisissez-en un autre, ou archivez d’abord l’ancienne si elle est vide.').waitFor()
    expect(await db.select().from(cells).where(eq(cells.hostInstitution, 'Ville de Bondy'))).toHaveLength(1)

    // The new cell is on the public home page until it is archived.
    const home = await browser.newPage()
    await home.goto(`${app.url}/`)
    expect(await home.getByText('Cellule de Bondy').count()).toBe(1)

    // A cell with members offers no archiving; the empty one does, with a confirmation step.
    const list = page.getByRole('list').filter({ hasText: 'Cellule du journal' })
    expect(await page.getByRole('link', { name: 'Archiver la cellule Cellule du journal' }).count()).toBe(0)
    await list.getByRole('link', { name: 'Archiver la cellule Cellule de Bondy' }).click()
    const confirmation = page.getByRole('region', { name: 'Archiver la cellule « Cellule de Bondy » ?' })
    await confirmation.waitFor()
    expect(await confirmation.innerText()).toContain('Elle n’apparaîtra plus sur la page d’accueil publique, ses invitations en attente seront annulées')
    await expectNoAxeViolationsAtWidths(page)
    // Cancelling archives nothing.
    await confirmation.getByRole('link', { name: 'Annuler' }).click()
    await expect.poll(() => confirmation.count()).toBe(0)
    expect((await db.select().from(cells).where(eq(cells.id, bondy!.id)))[0]?.archivedAt).toBeNull()

    await list.getByRole('link', { name: 'Archiver la cellule Cellule de Bondy' }).click()
    await confirmation.getByRole('button', { name: 'Confirmer l’archivage' }).click()
    await page.getByText('Cellule archivée : elle n’apparaît plus sur la page d’accueil.').waitFor()
    const [archived] = await db.select().from(cells).where(eq(cells.id, bondy!.id))
    expect(archived?.archivedAt).toBeInstanceOf(Date)
    expect((await db.select({ status: cellInvitations.status }).from(cellInvitations).where(eq(cellInvitations.cellId, bondy!.id))).map(row => row.status)).toEqual(['cancelled'])
    await page.getByText('Cellules archivées (1)').click()
    await page.getByText(/^Cellule de Bondy — créée le .*, archivée le /).waitFor()

    await home.reload()
    expect(await home.getByText('Cellule de Bondy').count()).toBe(0)
    expect(await home.getByText('Cellule du journal', { exact: true }).count()).toBe(1)
    await home.close()

    // The name is free again once the cell is archived.
    await fillCell(page, { name: 'Cellule de Bondy', communes: 'Bondy' })
    await page.getByRole('heading', { name: 'Cellule « Cellule de Bondy » créée' }).waitFor()

    // Archiving a cell with members is refused by the server too, whatever the page offers.
    const refused = await page.evaluate(
      async ({ cellId }) => {
        const response = await fetch(`/admin?index&archiver=${cellId}`, { method: 'POST', body: new URLSearchParams({ confirm: 'oui' }) })
        return response.status
      },
      { cellId: f.cellId },
    )
    expect(refused).toBe(409)
    expect((await db.select().from(cells).where(eq(cells.id, f.cellId)))[0]?.archivedAt).toBeNull()
    expect(problems).toEqual([])
    await page.context().close()
  })
})
