import { type AddressInfo } from 'node:net'
import { and, eq } from 'drizzle-orm'
import { type Browser, type Page } from 'playwright-core'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CHARTER } from '#charter/default-charter.ts'
import { charterHash } from '#charter/hash.ts'
import { insertCharterVersion } from '#db/cells.ts'
import { auditDetails, auditQueue, cellInvitations, cells, memberships } from '#db/schema.ts'
import { createUserSession } from '#app/auth/session.server.ts'
import { foundDemoCell } from '#server/demo/founding.ts'
import { createMailer } from '#server/mailer.ts'
import { createAccountFixture, sessionCookie, type AccountFixture } from '#tests/support/account-factory.ts'
import { personAt, type Person } from '#tests/support/e2e-people.ts'
import { expectNoAxeViolationsAtWidths } from '#tests/support/axe.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'
import { chromiumAvailable, launchChromium } from '#tools/browser/chromium.ts'

/**
 * Issue 12, items 1, 4, 5, 9 and 10, as a coordinator and the people around them meet them in Chromium:
 * refusals that say why and keep the cell's navigation, notices after a removal or a role change,
 * invitations (polling, duplicates, cancellation, « Les codes diffèrent », the e-mail over a real SMTP
 * server), a roster changed in another tab, and the small things of the members page.
 */

type Mail = { to: string[]; text: string }

/** The text part of a message as nodemailer writes it (quoted-printable for French text). */
function decodeMail(raw: string): string {
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4)
  if (!/Content-Transfer-Encoding: quoted-printable/i.test(raw)) return body
  const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
  return Buffer.from(bytes, 'latin1').toString('utf8')
}

describe.skipIf(!chromiumAvailable())('membership as people meet it: refusals, notices, invitations, two tabs', () => {
  let app: InProcessApp
  let browser: Browser
  let smtp: SMTPServer
  const mails: Mail[] = []
  let cellId: string
  let coordinator: Person
  let member: Person
  let colleague: Person
  let newcomer: Person
  let invitationCode = ''
  let newcomerInvitationId = ''

  /** A fresh session, as after the person logs in again (their sessions ended with a removal or role change). */
  async function signInAgain(person: Person) {
    const { token } = await createUserSession(app.database.handle.db, { userId: person.account.userId, mfaVerified: true, userAgent: 'e2e' })
    await person.context.clearCookies()
    await person.context.addCookies([sessionCookie({ url: app.url, token })])
  }

  async function open(person: Person, path: string, page = person.page) {
    await page.goto(`${app.url}${path}`)
    await page.waitForFunction(() => Boolean((window as unknown as { __remixContext?: unknown }).__remixContext))
    await page.waitForLoadState('networkidle')
  }

  async function unlockIfAsked(person: Person, page = person.page) {
    const unlock = page.getByRole('button', { name: 'Déverrouiller' })
    await page.waitForFunction(() => !document.body.innerText.includes('Chargement de vos clés'))
    if (await unlock.count()) {
      await page.getByLabel('Mot de passe').fill(person.account.password)
      await unlock.click()
      await unlock.waitFor({ state: 'detached', timeout: 30_000 })
    }
  }

  /** The DSFR script sets the header's menu up over a few frames after hydration: axe waits for it. */
  async function settle(page: Page) {
    await page.waitForLoadState('networkidle')
    await page.evaluate(() => new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve))))
  }

  async function journalReasons(action: string) {
    const rows = await app.database.handle.db.select({ detail: auditDetails.detail }).from(auditQueue).innerJoin(auditDetails, eq(auditDetails.eventId, auditQueue.eventId)).where(and(eq(auditQueue.action, action), eq(auditQueue.cellId, cellId)))
    return rows.map(row => (row.detail.data as { reason?: string } | undefined)?.reason)
  }

  beforeAll(async () => {
    ;[app, browser] = await Promise.all([startInProcessApp(), launchChromium()])
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      onData(stream, session, callback) {
        let raw = ''
        stream.on('data', (chunk: Buffer) => (raw += chunk.toString('latin1')))
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map(recipient => recipient.address), text: decodeMail(raw) })
          callback()
        })
      },
    })
    await new Promise<void>(resolve => smtp.listen(0, '127.0.0.1', resolve))
    const { port } = smtp.server.address() as AddressInfo
    // The deployment's mailer, over a real SMTP server on localhost.
    app.runtime.mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, from: 'Cellule <cellule@test.local>' })

    const [coordinatorAccount, memberAccount, colleagueAccount, newcomerAccount] = await Promise.all([
      createAccountFixture(app.runtime, { email: 'dr.coordination@ville.fr', password: 'mot-de-passe-coord-2', displayName: 'Dr Coline Coordination', profession: 'medecin' }),
      createAccountFixture(app.runtime, { email: 'membre@departement.fr', password: 'mot-de-passe-membre-2', displayName: 'Marc Membre', profession: 'assistant_service_social' }),
      createAccountFixture(app.runtime, { email: 'collegue@ssiad.fr', password: 'mot-de-passe-collegue-2', displayName: 'Chloé Collègue', profession: 'infirmier' }),
      createAccountFixture(app.runtime, { email: 'nouvelle@cramif.fr', password: 'mot-de-passe-nouvelle-2', displayName: 'Nina Nouvelle', profession: 'assistant_service_social' }),
    ])
    const [cell] = await app.database.handle.db.select({ id: cells.id }).from(cells)
    if (!cell) throw new Error('no demo cell')
    cellId = cell.id
    await foundDemoCell({
      db: app.database.handle.db,
      cellId,
      members: [
        { ...coordinatorAccount.keys, role: 'coordinator' },
        { ...memberAccount.keys, role: 'member' },
        { ...colleagueAccount.keys, role: 'member' },
      ],
    })
        // Refused pages and refused calls (403, a roster changed meanwhile: 409, an empty form: 422) log their own failed load.
    const at = (account: AccountFixture) => personAt({ browser, appUrl: app.url, account, expectedStatuses: [403, 409, 422] })
    ;[coordinator, member, colleague, newcomer] = await Promise.all([at(coordinatorAccount), at(memberAccount), at(colleagueAccount), at(newcomerAccount)])
  })

  afterAll(async () => {
    await browser?.close()
    await app?.close()
    await new Promise<void>(resolve => (smtp ? smtp.close(() => resolve()) : resolve()))
  })

  it('members page: each member once, one message under a field, « Retirer de la cellule » spaced, the count without removed people', async () => {
    await open(coordinator, `/cellules/${cellId}/membres`)
    await unlockIfAsked(coordinator)
    const page = coordinator.page
    await page.getByRole('columnheader', { name: 'Gestion' }).waitFor()
    // Once, in the table (its actions in the last column), not again in a list below.
    for (const name of ['Marc Membre', 'Chloé Collègue']) {
      expect(await page.getByRole('row', { name: new RegExp(name) }).count()).toBe(1)
      expect(await page.locator('li:not(td li)', { hasText: name }).count()).toBe(0)
    }
    await settle(page)
    await expectNoAxeViolationsAtWidths(page)

    // The visible words keep their space around the hidden name (DSFR buttons are flex boxes).
    const gap = await page.getByRole('button', { name: 'Retirer Marc Membre de la cellule' }).evaluate(button => {
      const walker = document.createTreeWalker(button, NodeFilter.SHOW_TEXT)
      const texts: Text[] = []
      for (let node = walker.nextNode(); node; node = walker.nextNode()) texts.push(node as Text)
      const before = texts.find(text => text.data.includes('Retirer'))
      const after = texts.find(text => text.data.includes('de la cellule'))
      if (!before || !after) return -1
      const range = document.createRange()
      range.setStart(before, before.data.indexOf('Retirer') + 6)
      range.setEnd(before, before.data.indexOf('Retirer') + 7)
      const end = range.getBoundingClientRect().right
      const start = after.data.indexOf('d')
      range.setStart(after, start)
      range.setEnd(after, start + 1)
      return range.getBoundingClientRect().left - end
    })
    expect(gap).toBeGreaterThan(2)

    // An empty address: one message, about the other person's address.
    await page.getByRole('button', { name: 'Créer l’invitation' }).click()
    const emailError = page.locator('.fr-input-group--error .fr-error-text')
    await emailError.waitFor()
    expect(await emailError.innerText()).toBe('Indiquez l’adresse électronique de la personne.')
    expect(await page.getByLabel('Adresse électronique').getAttribute('aria-invalid')).toBe('true')

    // The cell's home counts the people in the roster now.
    await open(coordinator, `/cellules/${cellId}`)
    await page.getByText('3 membres actifs dans le registre', { exact: false }).waitFor()
  })

  it('invitations: an e-mail with the link and never the code, duplicates refused, the page updates when the code is typed, « Les codes diffèrent » cancels', async () => {
    const page = coordinator.page
    await open(coordinator, `/cellules/${cellId}/membres`)
    await unlockIfAsked(coordinator)
    await page.getByLabel('Adresse électronique').fill(newcomer.account.email)
    await page.getByLabel('Rôle', { exact: true }).selectOption('member')
    await page.getByRole('button', { name: 'Créer l’invitation' }).click()
    invitationCode = (await page.getByTestId('code-invitation').innerText()).trim()
    const joinUrl = (await page.getByTestId('lien-invitation').innerText()).trim()
    await page.getByText(/Un courriel contenant ce lien \(et jamais le code\)/).waitFor()
    newcomerInvitationId = new URL(joinUrl).pathname.split('/').pop() ?? ''

    // The e-mail, through the SMTP server: the link, none of the code's characters groups, no cell name.
    await expect.poll(() => mails.length).toBe(1)
    const [mail] = mails
    expect(mail?.to).toEqual([newcomer.account.email])
    expect(mail?.text).toContain(joinUrl)
    expect(mail?.text).not.toContain(invitationCode)
    expect(mail?.text).not.toContain(invitationCode.replace(/-/g, ''))
    expect(mail?.text).toContain('jamais envoyé par courriel')
    expect(mail?.text).not.toMatch(/Sevran/)

    // The same address again: refused on the field, in French.
    await page.getByLabel('Adresse électronique').fill(newcomer.account.email)
    await page.getByRole('button', { name: 'Créer l’invitation' }).click()
    await page.getByText('Une invitation est déjà en cours pour cette adresse.').waitFor()
    expect(await app.database.handle.db.select().from(cellInvitations).where(eq(cellInvitations.email, newcomer.account.email))).toHaveLength(1)

    // The newcomer types the code; the coordinator's page, left open, learns it by itself.
    await open(coordinator, `/cellules/${cellId}/membres`)
    await unlockIfAsked(coordinator)
    const row = page.getByTestId(`invitation-${newcomer.account.email}`)
    await row.getByText('en attente du code').waitFor()
    await open(newcomer, `/rejoindre/${newcomerInvitationId}`)
    await unlockIfAsked(newcomer)
    await newcomer.page.getByLabel(/Code d’invitation/).fill(invitationCode)
    await newcomer.page.getByRole('button', { name: 'Valider le code' }).click()
    await newcomer.page.getByTestId('sas').waitFor()
    await row.getByText('a saisi son code').waitFor({ timeout: 15_000 })
    await settle(page)
    await expectNoAxeViolationsAtWidths(page)

    // The codes read aloud differ: the invitation is cancelled, journaled, and both sides are told what to do.
    await row.getByRole('button', { name: 'Vérifier la personne' }).click()
    await row.getByRole('button', { name: 'Les codes diffèrent' }).click()
    await page.getByText(/Invitation annulée, car les codes de vérification différaient/).waitFor()
    await page.getByText(/prévenez le ou la DPO, puis refaites une invitation/).waitFor()
    const [invitation] = await app.database.handle.db.select().from(cellInvitations).where(eq(cellInvitations.id, newcomerInvitationId))
    expect(invitation?.status).toBe('cancelled')
    expect(await journalReasons('cell.invitation.cancelled')).toEqual(['codes_differ'])
    await newcomer.page.getByText(/La coordination a annulé cette invitation/).waitFor({ timeout: 10_000 })
    await open(newcomer, `/rejoindre/${newcomerInvitationId}`)
    await newcomer.page.getByRole('heading', { name: 'Invitation annulée' }).waitFor()

    // A new invitation, withdrawn after a confirmation step.
    await page.getByLabel('Adresse électronique').fill(newcomer.account.email)
    await page.getByLabel('Rôle', { exact: true }).selectOption('member')
    await page.getByRole('button', { name: 'Créer l’invitation' }).click()
    await page.getByTestId('code-invitation').waitFor()
    await open(coordinator, `/cellules/${cellId}/membres`)
    await unlockIfAsked(coordinator)
    await page.getByRole('button', { name: `Annuler l’invitation de ${newcomer.account.email}` }).click()
    await page.getByRole('button', { name: `Confirmer l’annulation de l’invitation de ${newcomer.account.email}` }).click()
    await page.getByText('Invitation annulée : son lien ne permet plus de rejoindre la cellule.').waitFor()
    expect(await journalReasons('cell.invitation.cancelled')).toEqual(expect.arrayContaining(['codes_differ', 'withdrawn']))
    expect(await page.getByTestId(`invitation-${newcomer.account.email}`).count()).toBe(0)

    // The newcomer's old link points to the open invitation once there is one again; confirmed, it says where they stand.
    await page.getByLabel('Adresse électronique').fill(newcomer.account.email)
    await page.getByLabel('Rôle', { exact: true }).selectOption('member')
    await page.getByRole('button', { name: 'Créer l’invitation' }).click()
    invitationCode = (await page.getByTestId('code-invitation').innerText()).trim()
    const latest = (await page.getByTestId('lien-invitation').innerText()).trim()
    await open(newcomer, `/rejoindre/${newcomerInvitationId}`)
    await newcomer.page.getByRole('link', { name: 'Ouvrir la nouvelle invitation' }).click()
    await newcomer.page.waitForURL(latest)
    newcomerInvitationId = new URL(latest).pathname.split('/').pop() ?? ''
    await unlockIfAsked(newcomer)
    await newcomer.page.getByLabel(/Code d’invitation/).fill(invitationCode)
    await newcomer.page.getByRole('button', { name: 'Valider le code' }).click()
    const newcomerSas = (await newcomer.page.getByTestId('sas').innerText()).trim()
    await open(coordinator, `/cellules/${cellId}/membres`)
    await unlockIfAsked(coordinator)
    await page.getByRole('button', { name: 'Vérifier la personne' }).click()
    expect((await page.getByTestId(`sas-coordination-${newcomer.account.email}`).innerText()).trim()).toBe(newcomerSas)
    await page.getByRole('button', { name: 'Les codes sont identiques : confirmer' }).click()
    await page.getByRole('cell', { name: /^Nina Nouvelle/ }).waitFor()
  })

  it('two tabs: a roster changed in the other tab is said plainly, with a reload that lets the change go through', async () => {
    const first = coordinator.page
    const second = await coordinator.context.newPage()
    second.on('console', message => {
      if (message.type() === 'error' && !/status of 409/.test(message.text())) coordinator.problems.push(message.text())
    })
    await open(coordinator, `/cellules/${cellId}/membres`)
    await unlockIfAsked(coordinator)
    await open(coordinator, `/cellules/${cellId}/membres`, second)
    await unlockIfAsked(coordinator, second)

    // The first tab changes Chloé's role.
    await first.getByLabel('Rôle de Chloé Collègue').selectOption('associate')
    await first.getByRole('button', { name: 'Changer le rôle de Chloé Collègue' }).click()
    await first.getByText('Rôle de Chloé Collègue modifié.').waitFor()

    // The second tab, on the roster as it was, changes Marc's: told what happened, not « maillon 17 ».
    await second.getByLabel('Rôle de Marc Membre').selectOption('associate')
    await second.getByRole('button', { name: 'Changer le rôle de Marc Membre' }).click()
    const conflict = second.getByTestId('registre-modifie')
    await conflict.getByText('Quelqu’un d’autre a modifié le registre entre-temps.', { exact: false }).waitFor()
    expect(await conflict.innerText()).not.toMatch(/maillon|attendu/)
    await settle(second)
    await expectNoAxeViolationsAtWidths(second)
    await conflict.getByRole('button', { name: 'Recharger le registre' }).click()
    await conflict.waitFor({ state: 'detached' })
    await second.getByRole('row', { name: /Chloé Collègue/ }).getByText('Membre associé·e', { exact: true }).waitFor()
    await second.getByLabel('Rôle de Marc Membre').selectOption('associate')
    await second.getByRole('button', { name: 'Changer le rôle de Marc Membre' }).click()
    await second.getByText('Rôle de Marc Membre modifié.').waitFor()
    await second.close()

    // The registre says who was added and whose role changed.
    await open(coordinator, `/cellules/${cellId}/registre`)
    await first.getByRole('cell', { name: 'Nina Nouvelle (membre)' }).waitFor()
    await first.getByRole('cell', { name: 'Chloé Collègue : membre associé·e' }).waitFor()
  })

  it('a role change and a removal are told at the next login; « Mes cellules » and the old invitation page say how things stand', async () => {
    // Chloé's role changed in the previous step: her sessions ended. She logs in again.
    await signInAgain(colleague)
    await open(colleague, '/compte')
    await colleague.page.getByText(/Votre appartenance à une cellule a changé/).waitFor()
    await colleague.page.getByRole('link', { name: 'Voir ce qui a changé dans « Mes cellules »' }).click()
    await colleague.page.waitForURL(`${app.url}/cellules`)
    const notice = colleague.page.getByTestId('avis-role_changed')
    await notice.getByText(/a changé votre rôle : vous êtes désormais membre associé·e/).waitFor()
    await settle(colleague.page)
    await expectNoAxeViolationsAtWidths(colleague.page)
    await notice.getByRole('button', { name: /J’ai pris connaissance/ }).click()
    await notice.waitFor({ state: 'detached' })
    await colleague.page.getByText('Membre associé·e — Sevran').waitFor()

    // The coordinator removes Nina, who joined through an invitation.
    await open(coordinator, `/cellules/${cellId}/membres`)
    await unlockIfAsked(coordinator)
    await coordinator.page.getByRole('button', { name: 'Retirer Nina Nouvelle de la cellule' }).click()
    await coordinator.page.getByRole('button', { name: 'Confirmer le retrait de Nina Nouvelle' }).click()
    await coordinator.page.getByText('Nina Nouvelle a été retiré·e').waitFor()
    // The roster still knows four people; the cell's home counts the three still in it.
    await open(coordinator, `/cellules/${cellId}`)
    await coordinator.page.getByText('3 membres actifs dans le registre', { exact: false }).waitFor()
    await signInAgain(newcomer)
    await open(newcomer, '/cellules')
    await newcomer.page.getByTestId('avis-removed').getByText(/vous a retiré·e de la cellule/).waitFor()
    // Her old invitation page no longer says she is part of the cell.
    await open(newcomer, `/rejoindre/${newcomerInvitationId}`)
    await newcomer.page.getByRole('heading', { name: 'Vous ne faites plus partie de cette cellule' }).waitFor()
    expect(await newcomer.page.getByText(/Vous faites partie de/).count()).toBe(0)

    // Invited again as an associate: « Mes cellules » offers the invitation with its role, and no cell card leading to a 403.
    await open(coordinator, `/cellules/${cellId}/membres`)
    await coordinator.page.getByLabel('Adresse électronique').fill(newcomer.account.email)
    await coordinator.page.getByLabel('Rôle', { exact: true }).selectOption('associate')
    await coordinator.page.getByRole('button', { name: 'Créer l’invitation' }).click()
    await coordinator.page.getByTestId('code-invitation').waitFor()
    await open(newcomer, '/cellules')
    await newcomer.page.getByText(/comme membre associé·e/).waitFor()
    expect(await newcomer.page.locator('.fr-card').count()).toBe(0)
    await open(newcomer, `/rejoindre/${newcomerInvitationId}`)
    await newcomer.page.getByRole('link', { name: 'Ouvrir la nouvelle invitation' }).waitFor()
  })

  it('a refusal keeps the cell’s navigation and says why; « Registre et signatures » is offered only to who may open it', async () => {
    // Marc is an associate now: the journal is the DPO's. The refused page keeps his cell's navigation.
    await signInAgain(member)
    await open(member, `/cellules/${cellId}/journal`)
    await member.page.getByRole('heading', { name: 'Accès refusé' }).waitFor()
    const navigation = member.page.getByRole('navigation', { name: /Navigation de la cellule/ })
    await navigation.getByRole('link', { name: 'Membres' }).waitFor()
    await navigation.getByRole('link', { name: 'Registre et signatures' }).waitFor()
    expect(await navigation.getByRole('link', { name: 'Journal d’accès' }).count()).toBe(0)
    await settle(member.page)
    await expectNoAxeViolationsAtWidths(member.page)

    // A new charter version: until he signs it, the registre (names, signatures) is not offered, and refused with the next step.
    const hash = await charterHash(DEFAULT_CHARTER)
    await insertCharterVersion(app.database.handle.db, { cellId, version: 2, content: { ...DEFAULT_CHARTER, version: 2 }, hash, publishedBy: coordinator.account.userId })
    await open(member, `/cellules/${cellId}`)
    const home = member.page.getByRole('navigation', { name: /Navigation de la cellule/ })
    await home.getByRole('link', { name: 'Charte' }).waitFor()
    expect(await home.getByRole('link', { name: 'Registre et signatures' }).count()).toBe(0)
    await open(member, `/cellules/${cellId}/registre`)
    await member.page.getByText(/Signez la version en vigueur de la charte/).waitFor()
    await member.page.getByRole('navigation', { name: /Navigation de la cellule/ }).getByRole('link', { name: 'Charte' }).waitFor()
    await member.page.getByRole('link', { name: 'Lire et signer la charte' }).waitFor()

    // Someone outside the cell is refused without learning its name.
    const [membership] = await app.database.handle.db.select().from(memberships).where(and(eq(memberships.cellId, cellId), eq(memberships.userId, newcomer.account.userId)))
    expect(membership?.status).toBe('invited')
    await open(newcomer, `/cellules/${cellId}/membres`)
    await newcomer.page.getByRole('heading', { name: 'Accès refusé' }).waitFor()
    expect(await newcomer.page.getByRole('navigation', { name: /Navigation de la cellule/ }).count()).toBe(0)

    expect([...coordinator.problems, ...member.problems, ...colleague.problems, ...newcomer.problems]).toEqual([])
  })
})
