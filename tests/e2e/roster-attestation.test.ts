import { randomUUID } from 'node:crypto'
import { asc, eq } from 'drizzle-orm'
import { type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CHARTER } from '#charter/default-charter.ts'
import { charterHash } from '#charter/hash.ts'
import { toBase64Url } from '#crypto/encoding.ts'
import { parseRosterLink } from '#crypto/roster-links.ts'
import { createRosterLink, validateRoster } from '#crypto/roster.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { appendRosterLinks, insertCell, upsertActiveMembership } from '#db/cells.ts'
import { rosterLinks } from '#db/schema.ts'
import { foundDemoCell } from '#server/demo/founding.ts'
import { createAccountFixture, sessionCookie, type AccountFixture } from '#tests/support/account-factory.ts'
import { expectNoAxeViolationsAtWidths } from '#tests/support/axe.ts'
import { chromiumAvailable, launchChromium } from '#tools/browser/chromium.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'

/**
 * Issue 13 item 4 (review 1c, PoC 1b): at a meeting the chair reads the roster code aloud and each
 * member attests it. The code must stay the one read aloud through every attestation, and the
 * attestations must be used: a warning after an add_member until a meeting attests it.
 */

type Person = { account: AccountFixture; context: BrowserContext; page: Page; problems: string[] }

describe.skipIf(!chromiumAvailable())('roster code attested at a meeting', () => {
  let app: InProcessApp
  let browser: Browser
  let people: Person[]
  let newcomer: AccountFixture
  let cellId: string

  const db = () => app.database.handle.db
  const coordinator = () => people[0] as Person

  async function personFor(account: AccountFixture): Promise<Person> {
    const context = await browser.newContext({ locale: 'fr-FR' })
    await context.addCookies([sessionCookie({ url: app.url, token: account.sessionToken })])
    const page = await context.newPage()
    const problems: string[] = []
    page.on('pageerror', error => problems.push(error.message))
    page.on('console', message => {
      if (message.type() === 'error') problems.push(message.text())
    })
    return { account, context, page, problems }
  }

  async function storedLinks(): Promise<string[]> {
    return (await db().select().from(rosterLinks).where(eq(rosterLinks.cellId, cellId)).orderBy(asc(rosterLinks.seq))).map(row => row.link)
  }

  /** Opens a page of the cell and waits until the browser has checked the roster. */
  async function open(person: Person, path = '') {
    await person.page.goto(`${app.url}/cellules/${cellId}${path}`)
    await person.page.waitForFunction(() => Boolean((window as unknown as { __remixContext?: unknown }).__remixContext))
    await person.page.waitForFunction(() => !document.body.innerText.includes('Vérification du registre de la cellule'))
  }

  /** What the cell home shows this person: the 12 digits and the « état n° » beside them. */
  async function shownCode(person: Person): Promise<{ code: string; state: string }> {
    await open(person)
    const code = person.page.getByTestId('code-registre')
    await code.waitFor()
    return { code: (await code.innerText()).trim(), state: (await person.page.getByTestId('etat-registre').innerText()).trim() }
  }

  /** « J'atteste » and the password once (keys live in memory only): the signature button appears. */
  async function startAttesting(person: Person, stateNumber: number) {
    await person.page.getByRole('button', { name: 'J’atteste que ce code a été lu et qu’il est identique' }).click()
    const unlock = person.page.getByRole('button', { name: 'Déverrouiller' })
    await person.page.waitForFunction(() => !document.body.innerText.includes('Chargement de vos clés'))
    if (await unlock.count()) {
      await person.page.getByLabel('Mot de passe').fill(person.account.password)
      await unlock.click()
    }
    const sign = person.page.getByRole('button', { name: `Signer l’attestation de l’état n° ${stateNumber}` })
    await sign.waitFor({ timeout: 30_000 })
    return sign
  }

  async function attest(person: Person, stateNumber: number) {
    await (await startAttesting(person, stateNumber)).click()
  }

  /** A coordinator's browser adding the newcomer: a valid add_member, stored as the confirm route stores it. */
  async function addNewcomer() {
    const state = validateRoster({ cellId, links: await storedLinks() })
    const link = toBase64Url(
      createRosterLink({
        state,
        author: { memberId: coordinator().account.userId, signSecretKey: coordinator().account.keys.identity.signing.secretKey },
        payload: { type: 'add_member', memberId: newcomer.userId, role: 'member', signPublicKey: newcomer.keys.identity.signing.publicKey, boxPublicKey: newcomer.keys.identity.box.publicKey },
        createdAtMs: Date.now(),
      }),
    )
    await db().transaction(async tx => {
      await appendRosterLinks(tx, [{ cellId, seq: state.headSeq + 1, link, linkType: 'add_member', authorId: coordinator().account.userId }])
      await upsertActiveMembership(tx, { cellId, userId: newcomer.userId, role: 'member' })
    })
    return state.headSeq + 1
  }

  beforeAll(async () => {
    ;[app, browser] = await Promise.all([startInProcessApp(), launchChromium()])
    await initCrypto()
    const names = ['Dr Inès Présidente', 'Yanis Assistant', 'Léa Infirmière', 'Marc Mandataire', 'Nadia Psychologue', 'Omar Nouveau']
    const accounts = await Promise.all(
      names.map((displayName, index) =>
        createAccountFixture(app.runtime, { email: `reunion.${index}@ville.fr`, password: `mot-de-passe-reunion-${index}`, displayName, profession: index === 0 ? 'medecin' : 'assistant_service_social' }),
      ),
    )
    newcomer = accounts[5] as AccountFixture
    const cell = await insertCell(db(), {
      slug: `reunion-${randomUUID().slice(0, 6)}`,
      name: 'Cellule de la réunion',
      communes: ['Sevran'],
      hostInstitution: 'Ville de Sevran',
      dpoContact: 'dpo@sevran.fr',
      createdBy: null,
      charter: DEFAULT_CHARTER,
      charterHash: await charterHash(DEFAULT_CHARTER),
    })
    cellId = cell.id
    const founded = await foundDemoCell({
      db: db(),
      cellId,
      members: accounts.slice(0, 5).map((account, index) => ({ ...account.keys, role: index === 0 ? ('coordinator' as const) : ('member' as const) })),
    })
    expect(founded).toBe(true)
    people = await Promise.all(accounts.slice(0, 5).map(personFor))
  })

  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  it('five members attest one after another: the code and the « état n° » stay identical on every screen', async () => {
    const securityHead = validateRoster({ cellId, links: await storedLinks() }).securityHeadSeq
    const readAloud = await shownCode(coordinator())
    expect(readAloud.code).toMatch(/^\d{4} \d{4} \d{4}$/)
    expect(readAloud.state).toBe(`état n° ${securityHead}`)
    // The members were added and nobody has attested yet: the warning is there, with what to do.
    await coordinator().page.getByTestId('changements-non-verifies').waitFor()
    await expect.poll(() => coordinator().page.getByTestId('changements-non-verifies').innerText()).toMatch(/comparez le code du registre lu à voix haute/)
    await expectNoAxeViolationsAtWidths(coordinator().page)

    for (const [index, person] of people.entries()) {
      expect(await shownCode(person)).toEqual(readAloud)
      await attest(person, securityHead)
      await person.page.getByText(`Votre attestation de l’état n° ${securityHead} est inscrite au registre.`).waitFor({ timeout: 30_000 })
      // Still the code read aloud, on the screen of the one who attested and on everyone's after a reload.
      expect((await person.page.getByTestId('code-registre').innerText()).trim()).toBe(readAloud.code)
      for (const other of people) expect(await shownCode(other)).toEqual(readAloud)
      expect(await person.page.getByTestId('changements-non-verifies').count()).toBe(0)
      expect(await person.page.getByText(`Vous avez attesté l’état n° ${securityHead}.`).count()).toBe(1)
      expect((await storedLinks()).length).toBe(securityHead + 2 + index)
    }

    // Five attestations, each signed by its own member, all of the state read aloud.
    const attestations = (await storedLinks()).map(link => parseRosterLink(link)).filter(link => link.payload.type === 'verification_attestation')
    expect(attestations.map(link => link.authorId).sort()).toEqual(people.map(person => person.account.userId).sort())
    for (const link of attestations) expect(link.payload).toMatchObject({ attestedSeq: securityHead })

    // The registre page says who attested which state.
    await open(coordinator(), '/registre')
    const attestationRows = coordinator().page.getByRole('row').filter({ hasText: `atteste l’état n° ${securityHead}` })
    await expect.poll(() => attestationRows.count()).toBe(5)
    expect(await attestationRows.filter({ hasText: 'Nadia Psychologue' }).count()).toBe(1)
    for (const person of people) expect(person.problems).toEqual([])
  })

  it('an add_member brings the warning back on every roster page until a meeting attests it', async () => {
    const seq = await addNewcomer()
    const member = people[1] as Person
    const now = await shownCode(member)
    expect(now.state).toBe(`état n° ${seq}`)
    const banner = member.page.getByTestId('changements-non-verifies')
    await banner.waitFor()
    expect(await banner.innerText()).toMatch(/Un membre a été ajouté ou a changé de clés depuis la dernière vérification en réunion/)

    await open(member, '/membres')
    await member.page.getByTestId('changements-non-verifies').waitFor()
    expect(await member.page.getByTestId('changements-non-verifies').innerText()).toMatch(new RegExp(`ajout de Omar Nouveau \\(état n° ${seq}\\)`))
    expect(await member.page.getByRole('row', { name: /Omar Nouveau/ }).getByText('Clés non vérifiées en réunion').count()).toBe(1)
    expect(await member.page.getByRole('row', { name: /Léa Infirmière/ }).getByText('Clés vérifiées en réunion').count()).toBe(1)
    await expectNoAxeViolationsAtWidths(member.page)

    await open(member, '/registre')
    await member.page.getByTestId('changements-non-verifies').waitFor()
    await member.page.getByRole('heading', { name: 'Vérification des clés en réunion' }).waitFor()
    await expectNoAxeViolationsAtWidths(member.page)

    // The next meeting: the code is read, one member attests, the warning goes everywhere.
    await shownCode(member)
    await expectNoAxeViolationsAtWidths(member.page)
    await attest(member, seq)
    await member.page.getByText(`Votre attestation de l’état n° ${seq} est inscrite au registre.`).waitFor({ timeout: 30_000 })
    expect((await shownCode(member)).code).toBe(now.code)
    expect(await member.page.getByTestId('changements-non-verifies').count()).toBe(0)
    await open(member, '/membres')
    await member.page.getByRole('row', { name: /Omar Nouveau/ }).getByText('Clés vérifiées en réunion').waitFor()
    expect(await member.page.getByTestId('changements-non-verifies').count()).toBe(0)
    expect(member.problems).toEqual([])
  })

  it('a person whose screen shows a state that is no longer current is refused and told to compare again', async () => {
    const member = people[2] as Person
    const shown = await shownCode(member)
    const sign = await startAttesting(member, Number(shown.state.replace(/\D/g, '')))
    const before = (await storedLinks()).length
    // Between the reading and the signature, the roster moves past what this screen shows.
    // PGlite has one connection: read before opening the transaction.
    const state = validateRoster({ cellId, links: await storedLinks() })
    await db().transaction(async tx => {
      const link = toBase64Url(
        createRosterLink({
          state,
          author: { memberId: coordinator().account.userId, signSecretKey: coordinator().account.keys.identity.signing.secretKey },
          payload: { type: 'charter_version', version: 2, charterHash: new Uint8Array(32).fill(9) },
          createdAtMs: Date.now(),
        }),
      )
      await appendRosterLinks(tx, [{ cellId, seq: state.headSeq + 1, link, linkType: 'charter_version', authorId: coordinator().account.userId }])
    })
    await sign.click()
    await member.page.getByText(/Le registre a changé depuis l’affichage de ce code .* comparez de nouveau le code lu en réunion, puis attestez\./).waitFor({ timeout: 30_000 })
    expect((await storedLinks()).length).toBe(before + 1)
    expect(member.problems).toEqual([])
  })
})
