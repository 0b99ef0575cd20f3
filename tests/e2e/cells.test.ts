import { and, eq } from 'drizzle-orm'
import { type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cells, memberships, rosterLinks, sessions } from '#db/schema.ts'
import { createAccountFixture, type AccountFixture } from '#tests/support/account-factory.ts'
import { personAt, unlockIfAsked, type Person } from '#tests/support/e2e-people.ts'
import { expectNoAxeViolations, expectNoAxeViolationsAtWidths } from '#tests/support/axe.ts'
import { chromiumAvailable, launchChromium } from '#tools/browser/chromium.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'

describe.skipIf(!chromiumAvailable())('a cell, from creation to a member’s removal, as its people would click it', () => {
  let app: InProcessApp
  let browser: Browser
  let admin: Person
  let coordinator: Person
  let member: Person

  async function open(person: Person, path: string) {
    await person.page.goto(`${app.url}${path}`)
    await person.page.waitForFunction(() => Boolean((window as unknown as { __remixContext?: unknown }).__remixContext))
    await person.page.waitForLoadState('networkidle')
  }

  beforeAll(async () => {
    ;[app, browser] = await Promise.all([startInProcessApp(), launchChromium()])
    const [adminAccount, coordinatorAccount, memberAccount] = await Promise.all([
      createAccountFixture(app.runtime, { email: 'admin@plateforme.fr', password: 'mot-de-passe-admin-1', displayName: 'Alice Admin', profession: 'autre', platformRole: 'platform_admin' }),
      createAccountFixture(app.runtime, { email: 'dr.martin@ville.fr', password: 'mot-de-passe-coord-1', displayName: 'Dr Claude Martin', profession: 'medecin' }),
      createAccountFixture(app.runtime, { email: 'assistante@departement.fr', password: 'mot-de-passe-membre-1', displayName: 'Sarah Assistante', profession: 'assistant_service_social' }),
    ])
        // A 403 page logs its own failed load; anything else is a bug.
    const at = (account: AccountFixture) => personAt({ browser, appUrl: app.url, account, expectedStatuses: [403] })
    ;[admin, coordinator, member] = await Promise.all([at(adminAccount), at(coordinatorAccount), at(memberAccount)])
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  it('creates, founds, invites with the SAS, signs, re-signs and removes', async () => {
    const db = app.database.handle.db

    // The platform admin creates the cell and gets the founding link.
    await open(admin, '/admin')
    await expectNoAxeViolations(admin.page)
    await admin.page.getByLabel('Nom de la cellule').fill('Cellule de Livry-Gargan')
    await admin.page.getByLabel(/Communes couvertes/).fill('Livry-Gargan, Vaujours')
    await admin.page.getByLabel(/Institution porteuse/).fill('Ville de Livry-Gargan')
    await admin.page.getByLabel('Adresse électronique du ou de la DPO').fill('dpo@livry.fr')
    await admin.page.getByLabel('Adresse électronique de la première coordination').fill(coordinator.account.email)
    await admin.page.getByRole('button', { name: 'Créer la cellule' }).click()
    const foundingUrl = (await admin.page.getByTestId('lien-fondation').innerText()).trim()
    const [cell] = await db.select().from(cells).where(eq(cells.name, 'Cellule de Livry-Gargan'))
    if (!cell) throw new Error('cell not created')

    // The coordinator founds it: keys and roster are born in their browser; they sign the charter.
    await open(coordinator, new URL(foundingUrl).pathname)
    await unlockIfAsked(coordinator)
    await expectNoAxeViolations(coordinator.page)
    await coordinator.page.getByRole('button', { name: 'Je fonde la cellule et signe la charte' }).click()
    await coordinator.page.waitForURL(`${app.url}/cellules/${cell.id}`)
    await coordinator.page.getByTestId('code-registre').waitFor()

    // The coordinator invites the member; the code goes by hand.
    await coordinator.page.getByRole('link', { name: 'Membres' }).click()
    await coordinator.page.getByRole('heading', { name: 'Inviter une personne' }).waitFor()
    await expectNoAxeViolations(coordinator.page)
    await coordinator.page.getByLabel('Adresse électronique').fill(member.account.email)
    await coordinator.page.getByLabel('Rôle', { exact: true }).selectOption('member')
    await coordinator.page.getByRole('button', { name: 'Créer l’invitation' }).click()
    const invitationCode = (await coordinator.page.getByTestId('code-invitation').innerText()).trim()
    const invitationUrl = (await coordinator.page.getByTestId('lien-invitation').innerText()).trim()

    // The member types the code and reads the SAS aloud.
    await open(member, new URL(invitationUrl).pathname)
    await unlockIfAsked(member)
    await expectNoAxeViolations(member.page)
    await member.page.getByLabel(/Code d’invitation/).fill(invitationCode)
    await member.page.getByRole('button', { name: 'Valider le code' }).click()
    const memberSas = (await member.page.getByTestId('sas').innerText()).trim()

    // The coordinator sees the same SAS and confirms.
    await open(coordinator, `/cellules/${cell.id}/membres`)
    await unlockIfAsked(coordinator)
    await coordinator.page.getByRole('button', { name: 'Vérifier la personne' }).click()
    const coordinatorSas = (await coordinator.page.getByTestId(`sas-coordination-${member.account.email}`).innerText()).trim()
    expect(coordinatorSas).toBe(memberSas)
    await coordinator.page.getByRole('button', { name: 'Les codes sont identiques : confirmer' }).click()
    await coordinator.page.getByRole('cell', { name: /^Sarah Assistante/ }).waitFor()

    // The member is told, signs the charter, and both see the same roster code.
    await member.page.getByRole('link', { name: 'Lire et signer la charte' }).click({ timeout: 20_000 })
    await member.page.getByRole('button', { name: /Je signe la charte \(version 1\)/ }).click()
    await member.page.getByText('Vous avez signé la version en vigueur').waitFor()
    await open(member, `/cellules/${cell.id}`)
    await open(coordinator, `/cellules/${cell.id}`)
    const codes = await Promise.all([member, coordinator].map(person => person.page.getByTestId('code-registre').innerText()))
    expect(codes[0]).toMatch(/^\d{4} \d{4} \d{4}$/)
    expect(codes[0]).toBe(codes[1])
    // Decision 022: both devices are anchored, the founder by their own genesis, the newcomer by the coordinator key the SAS checked.
    expect(await Promise.all([member, coordinator].map(person => person.page.getByTestId('registre-non-verifie').count()))).toEqual([0, 0])
    await expectNoAxeViolations(member.page)

    // A new charter version suspends the member until they sign it, showing what changed.
    await open(coordinator, `/cellules/${cell.id}/charte`)
    await unlockIfAsked(coordinator)
    const firstSection = coordinator.page.locator('textarea').first()
    await firstSection.fill(`${await firstSection.inputValue()}\n\nLes réunions ont lieu le premier jeudi du mois.`)
    await coordinator.page.getByLabel(/Délai d’inactivité|inactivité/i).first().fill('10')
    await coordinator.page.getByRole('button', { name: 'Publier la version 2' }).click()
    // Publishing asks for confirmation first, saying it suspends every member until they sign (issue 12).
    await coordinator.page.getByText('l’accès de chaque membre de la cellule aux données est suspendu jusqu’à ce qu’il ou elle signe la version 2').waitFor()
    await coordinator.page.getByRole('button', { name: 'Publier et suspendre les accès jusqu’à signature' }).click()
    await coordinator.page.getByText('Nouvelle version publiée').waitFor()

    const suspended = await member.page.request.get(`${app.url}/cellules/${cell.id}/membres`)
    expect(suspended.status()).toBe(403)
    await open(member, `/cellules/${cell.id}`)
    await member.page.getByText('Signature de la charte requise').waitFor()
    // The refused page says why, in the policy's words, and offers the next step.
    await open(member, `/cellules/${cell.id}/membres`)
    await member.page.getByRole('heading', { name: 'Accès refusé' }).waitFor()
    await member.page.getByText(/Signez la version en vigueur de la charte/).waitFor()
    // The DSFR script sets the header's menu up (role and labels) over a few frames after hydration.
    await member.page.waitForLoadState('networkidle')
    await member.page.evaluate(() => new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve))))
    await expectNoAxeViolationsAtWidths(member.page)
    await member.page.getByRole('link', { name: 'Lire et signer la charte' }).click()
    await member.page.waitForURL(`${app.url}/cellules/${cell.id}/charte`)
    await expect.poll(() => member.page.getByTestId('modifications-charte').innerText()).toContain('premier jeudi du mois')
    await expectNoAxeViolations(member.page)
    await unlockIfAsked(member)
    await member.page.getByRole('button', { name: /Je signe la charte \(version 2\)/ }).click()
    await member.page.getByText('Vous avez signé la version en vigueur').waitFor()
    expect((await member.page.request.get(`${app.url}/cellules/${cell.id}/membres`)).status()).toBe(200)

    // Removal: a new epoch sealed to the remaining members only; the removed member is refused at once.
    await open(coordinator, `/cellules/${cell.id}/membres`)
    await unlockIfAsked(coordinator)
    await coordinator.page.getByRole('button', { name: /Retirer Sarah Assistante de la cellule/ }).click()
    await coordinator.page.getByRole('button', { name: 'Confirmer le retrait de Sarah Assistante' }).click()
    await coordinator.page.getByText('a été retiré·e').waitFor()

    const [membership] = await db.select().from(memberships).where(and(eq(memberships.cellId, cell.id), eq(memberships.userId, member.account.userId)))
    expect(membership?.status).toBe('removed')
    const links = await db.select().from(rosterLinks).where(eq(rosterLinks.cellId, cell.id))
    expect(links.map(link => link.linkType)).toEqual(expect.arrayContaining(['remove_member', 'rotate_epoch']))
    expect(links.filter(link => link.linkType === 'rotate_epoch')).toHaveLength(2)
    expect(await db.select().from(sessions).where(eq(sessions.userId, member.account.userId))).toEqual([])
    const refused = await member.page.request.get(`${app.url}/cellules/${cell.id}`, { maxRedirects: 0 })
    expect([302, 403]).toContain(refused.status())

    expect([...admin.problems, ...coordinator.problems, ...member.problems]).toEqual([])
  })
})
