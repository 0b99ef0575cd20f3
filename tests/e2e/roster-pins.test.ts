import { randomUUID } from 'node:crypto'
import { asc, eq } from 'drizzle-orm'
import { type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CHARTER } from '#charter/default-charter.ts'
import { charterHash } from '#charter/hash.ts'
import { sealRosterPins } from '#app/cells/roster-pins.ts'
import { UNANCHORED_MESSAGE } from '#app/cells/roster-pins-anchor.ts'
import { toBase64Url } from '#crypto/encoding.ts'
import { generateHumanCode } from '#crypto/human-code.ts'
import { generateIdentityKeys } from '#crypto/identity.ts'
import { answerInvitation } from '#crypto/invitation.ts'
import { parseRosterLink, signKeyChange } from '#crypto/roster-links.ts'
import { createGenesisLink, createRosterLink, extendRoster, rosterPin, validateRoster, type RosterState } from '#crypto/roster.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { insertCell, insertCellInvitation, recordInvitationAnswer } from '#db/cells.ts'
import { storeRosterPins } from '#db/roster-pins.ts'
import { cellInvitations, rosterLinks, rosterPinSets } from '#db/schema.ts'
import { foundDemoCell } from '#server/demo/founding.ts'
import { createAccountFixture, FIXTURE_TOTP_SECRET, sessionCookie, type AccountFixture } from '#tests/support/account-factory.ts'
import { expectNoAxeViolationsAtWidths } from '#tests/support/axe.ts'
import { nextTotpCode } from '#tests/support/totp.ts'
import { chromiumAvailable, launchChromium } from '#tools/browser/chromium.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'

/**
 * Issue 13 item 5 (review 1b, PoC 1): first use anchored. The server is the attacker, rewriting
 * `roster_links` as in roster-tampering.test.ts; the member's browser must not take a roster it
 * made up for the real one: a synced pin turns it into the fork alarm, a device with no anchor
 * says « Registre non vérifié sur cet appareil » and seals no key to anyone, and a roster that
 * gives the member other keys than their own is the alarm.
 */

type Person = { account: AccountFixture; context: BrowserContext; page: Page }

describe.skipIf(!chromiumAvailable())('first use of a roster on a device, anchored', () => {
  let app: InProcessApp
  let browser: Browser
  const problems: string[] = []
  const db = () => app.database.handle.db

  async function account(name: string): Promise<AccountFixture> {
    const slug = `${name}.${randomUUID().slice(0, 8)}`
    return createAccountFixture(app.runtime, { email: `${slug}@ville.fr`, password: `mot-de-passe-${slug}`, displayName: `Personne ${name}`, profession: 'medecin' })
  }

  async function cellWith(members: { account: AccountFixture; role: 'coordinator' | 'member' }[]): Promise<string> {
    const cell = await insertCell(db(), {
      slug: `ancrage-${randomUUID().slice(0, 8)}`,
      name: 'Cellule de l’ancrage',
      communes: ['Sevran'],
      hostInstitution: 'Ville de Sevran',
      dpoContact: 'dpo@sevran.fr',
      createdBy: null,
      charter: DEFAULT_CHARTER,
      charterHash: await charterHash(DEFAULT_CHARTER),
    })
    expect(await foundDemoCell({ db: db(), cellId: cell.id, members: members.map(member => ({ ...member.account.keys, role: member.role })) })).toBe(true)
    return cell.id
  }

  async function storedLinks(cellId: string): Promise<string[]> {
    return (await db().select().from(rosterLinks).where(eq(rosterLinks.cellId, cellId)).orderBy(asc(rosterLinks.seq))).map(row => row.link)
  }

  /** What a server would do: serve a roster of its own making in place of the real one. */
  async function replaceRoster(cellId: string, links: string[]) {
    await db().delete(rosterLinks).where(eq(rosterLinks.cellId, cellId))
    for (const link of links) {
      const parsed = parseRosterLink(link)
      await db().insert(rosterLinks).values({ cellId, seq: parsed.seq, link, linkType: parsed.payload.type, authorId: parsed.authorId })
    }
  }

  /**
   * PoC 1: the same cell id, the founder's id with the server's keys, the victim's real public keys,
   * and as many links as the real roster so that the pinned position exists in both.
   */
  function fabricatedRoster({ cellId, founderId, victim, length }: { cellId: string; founderId: string; victim: AccountFixture; length: number }): string[] {
    const server = generateIdentityKeys()
    const signer = { memberId: founderId, signSecretKey: server.signing.secretKey }
    const links = [createGenesisLink({ cellId, founder: { memberId: founderId, signPublicKey: server.signing.publicKey, signSecretKey: server.signing.secretKey, boxPublicKey: server.box.publicKey }, createdAtMs: Date.now() })]
    let state: RosterState = validateRoster({ cellId, links })
    const append = (payload: Parameters<typeof createRosterLink>[0]['payload']) => {
      const link = createRosterLink({ state, author: signer, createdAtMs: Date.now(), payload })
      state = extendRoster({ state, links: [link] })
      links.push(link)
    }
    append({ type: 'add_member', role: 'member', memberId: victim.userId, signPublicKey: victim.keys.identity.signing.publicKey, boxPublicKey: victim.keys.identity.box.publicKey })
    // Padding to the genuine length: charter versions (an attestation may not attest another one, decision 023).
    while (links.length < length) append({ type: 'charter_version', version: links.length, charterHash: new Uint8Array(32).fill(links.length) })
    return links.map(toBase64Url)
  }

  async function personFor(person: AccountFixture, { withSession }: { withSession: boolean }): Promise<Person> {
    const context = await browser.newContext({ locale: 'fr-FR' })
    if (withSession) await context.addCookies([sessionCookie({ url: app.url, token: person.sessionToken })])
    const page = await context.newPage()
    page.on('pageerror', error => problems.push(error.message))
    page.on('console', message => {
      if (message.type() === 'error') problems.push(message.text())
    })
    return { account: person, context, page }
  }

  async function settle(page: Page) {
    await page.waitForFunction(() => Boolean((window as unknown as { __remixContext?: unknown }).__remixContext))
    await page.waitForLoadState('networkidle')
    await page.waitForFunction(() => !document.body.innerText.includes('Vérification du registre de la cellule'))
  }

  async function open(person: Person, path: string) {
    await person.page.goto(`${app.url}${path}`)
    await settle(person.page)
  }

  /** A real login on a new device (password, then the second factor): the keys unlock and the pins merge. */
  async function logIn(person: Person, redirectTo: string) {
    const { page } = person
    await page.goto(`${app.url}/connexion?redirectTo=${encodeURIComponent(redirectTo)}`)
    await page.waitForFunction(() => Boolean((window as unknown as { __remixContext?: unknown }).__remixContext))
    await page.getByLabel('Adresse électronique').fill(person.account.email)
    await page.getByLabel('Mot de passe', { exact: true }).fill(person.account.password)
    await page.getByRole('button', { name: 'Se connecter' }).click()
    await page.getByLabel('Code à 6 chiffres').waitFor()
    const { code } = await nextTotpCode({ manualKey: FIXTURE_TOTP_SECRET, email: person.account.email, lastStep: 0 })
    await page.getByLabel(/Code à 6 chiffres/).fill(code)
    await page.getByRole('button', { name: 'Valider le code' }).click()
    await page.waitForURL(`${app.url}${redirectTo}`)
    await settle(page)
  }

  async function unlock(person: Person) {
    const button = person.page.getByRole('button', { name: 'Déverrouiller' })
    await button.waitFor()
    await person.page.getByLabel('Mot de passe').fill(person.account.password)
    await button.click()
    await button.waitFor({ state: 'detached', timeout: 30_000 })
  }

  async function seen(page: Page) {
    await page.locator('[data-testid="alarme-registre"], [data-testid="code-registre"]').first().waitFor({ timeout: 30_000 })
    const alarm = page.getByTestId('alarme-registre')
    return {
      alarm: (await alarm.count()) ? (await alarm.innerText()).trim() : null,
      code: await page.getByTestId('code-registre').count(),
      unverified: await page.getByTestId('registre-non-verifie').count(),
    }
  }

  beforeAll(async () => {
    ;[app, browser] = await Promise.all([startInProcessApp(), launchChromium()])
    await initCrypto()
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  it('(a) a fabricated roster on a new device whose account holds a synced pin: the fork alarm', async () => {
    const [coordinator, member] = await Promise.all([account('coordination-a'), account('membre-a')])
    const cellId = await cellWith([
      { account: coordinator, role: 'coordinator' },
      { account: member, role: 'member' },
    ])
    const genuine = validateRoster({ cellId, links: await storedLinks(cellId) })
    // Another device of the member saw the real roster anchored and synced its pin.
    const pins = new Map([[cellId, rosterPin(genuine)]])
    expect(await storeRosterPins(db(), { userId: member.userId, counter: 1, blob: sealRosterPins({ userId: member.userId, accountKey: member.keys.accountKey, counter: 1, pins }) })).toBe(true)

    await replaceRoster(cellId, fabricatedRoster({ cellId, founderId: coordinator.userId, victim: member, length: genuine.headSeq + 2 }))
    const device = await personFor(member, { withSession: false })
    await logIn(device, `/cellules/${cellId}`)
    const shown = await seen(device.page)
    expect(shown.code).toBe(0)
    expect(shown.alarm).toMatch(/Alerte de sécurité : registre de la cellule invalide/)
    expect(shown.alarm).toMatch(/diverge/)
    // The login merged the synced pin onto this device: the alarm stays after a reload, keys locked.
    expect(await device.page.evaluate(key => window.localStorage.getItem(key), `cellule.roster-anchor.${member.userId}.${cellId}`)).toBe(JSON.stringify(rosterPin(genuine)))
    await open(device, `/cellules/${cellId}`)
    expect((await seen(device.page)).alarm).toMatch(/diverge/)
    await expectNoAxeViolationsAtWidths(device.page)
    await device.context.close()
  })

  it('(b) a device with no pin and nothing synced shows « Registre non vérifié sur cet appareil » and seals no key until the member attests', async () => {
    const [founder, second, member, newcomer] = await Promise.all([account('fondation-b'), account('coordination-b'), account('membre-b'), account('arrivee-b')])
    const cellId = await cellWith([
      { account: founder, role: 'coordinator' },
      { account: second, role: 'coordinator' },
      { account: member, role: 'member' },
    ])
    // The newcomer answered an invitation of the second coordinator, with the code handed over in person.
    const { code } = generateHumanCode()
    const invitation = await insertCellInvitation(db(), { cellId, kind: 'member', email: newcomer.email, role: 'member', createdBy: second.userId, expiresAt: new Date(Date.now() + 3_600_000) })
    const newcomerKeys = { memberId: newcomer.userId, signPublicKey: newcomer.keys.identity.signing.publicKey, boxPublicKey: newcomer.keys.identity.box.publicKey }
    const { proof } = answerInvitation({ cellId, invitationCode: code, newcomer: newcomerKeys, coordinatorSignPublicKey: second.keys.identity.signing.publicKey })
    await recordInvitationAnswer(db(), { invitationId: invitation.id, userId: newcomer.userId, answer: { memberId: newcomer.userId, signPublicKey: toBase64Url(newcomerKeys.signPublicKey), boxPublicKey: toBase64Url(newcomerKeys.boxPublicKey), proof } })
    const headBefore = (await storedLinks(cellId)).length

    const device = await personFor(second, { withSession: true })
    await open(device, `/cellules/${cellId}`)
    const shown = await seen(device.page)
    expect(shown).toMatchObject({ alarm: null, code: 1, unverified: 1 })
    await expect.poll(() => device.page.getByTestId('registre-non-verifie').innerText()).toMatch(/Registre non vérifié sur cet appareil/)
    await expectNoAxeViolationsAtWidths(device.page)

    // Confirming the newcomer: the SAS matches, but the browser refuses to seal the cell key.
    await open(device, `/cellules/${cellId}/membres`)
    expect(await device.page.getByTestId('registre-non-verifie').count()).toBe(1)
    await unlock(device)
    await device.page.getByLabel('Code remis en main propre').fill(code)
    await device.page.getByRole('button', { name: 'Vérifier la personne' }).click()
    await device.page.getByTestId(`sas-coordination-${newcomer.email}`).waitFor()
    await device.page.getByRole('button', { name: 'Les codes sont identiques : confirmer' }).click()
    await device.page.getByText(UNANCHORED_MESSAGE).waitFor()
    expect((await storedLinks(cellId)).length).toBe(headBefore)
    const [stillAnswered] = await db().select().from(cellInvitations).where(eq(cellInvitations.id, invitation.id))
    expect(stillAnswered?.status).toBe('answered')
    expect(await db().select().from(rosterPinSets).where(eq(rosterPinSets.userId, second.userId))).toEqual([])
    await expectNoAxeViolationsAtWidths(device.page)

    // After the roster code is compared at a meeting, the coordinator attests: this device is anchored, the pin synced.
    await open(device, `/cellules/${cellId}`)
    await device.page.getByRole('button', { name: /J’atteste que ce code/ }).click()
    await unlock(device)
    await device.page.getByRole('button', { name: 'Signer l’attestation' }).click()
    await device.page.getByText(/Votre attestation de l’état n° \d+ est inscrite au registre/).waitFor()
    await expect.poll(() => device.page.getByTestId('registre-non-verifie').count(), { timeout: 15_000 }).toBe(0)
    await expect.poll(async () => (await db().select().from(rosterPinSets).where(eq(rosterPinSets.userId, second.userId))).length).toBe(1)
    // A reload keeps the anchor (this device's anchored pin), keys locked.
    await open(device, `/cellules/${cellId}`)
    expect(await seen(device.page)).toMatchObject({ alarm: null, code: 1, unverified: 0 })

    // Now the confirmation goes through.
    await open(device, `/cellules/${cellId}/membres`)
    await unlock(device)
    await device.page.getByLabel('Code remis en main propre').fill(code)
    await device.page.getByRole('button', { name: 'Vérifier la personne' }).click()
    await device.page.getByRole('button', { name: 'Les codes sont identiques : confirmer' }).click()
    await expect.poll(async () => (await db().select().from(cellInvitations).where(eq(cellInvitations.id, invitation.id)))[0]?.status, { timeout: 15_000 }).toBe('confirmed')
    await device.context.close()
  })

  it('(c) a roster whose entry for the member carries other keys: the alarm once the keys are unlocked', async () => {
    const [coordinator, member] = await Promise.all([account('coordination-c'), account('membre-c')])
    const cellId = await cellWith([
      { account: coordinator, role: 'coordinator' },
      { account: member, role: 'member' },
    ])
    // A key change the member never asked for (signed by the coordinator: the server cannot sign, a coordinator can).
    const state = validateRoster({ cellId, links: await storedLinks(cellId) })
    const replacement = generateIdentityKeys()
    const keyChange = toBase64Url(
      createRosterLink({
        state,
        author: { memberId: coordinator.userId, signSecretKey: coordinator.keys.identity.signing.secretKey },
        createdAtMs: Date.now(),
        // The coordinator controls the replacement keys, so it can make their self-signature too.
        payload: {
          type: 'key_change',
          memberId: member.userId,
          signPublicKey: replacement.signing.publicKey,
          boxPublicKey: replacement.box.publicKey,
          selfSignature: signKeyChange({
            cellId,
            keys: { memberId: member.userId, signPublicKey: replacement.signing.publicKey, boxPublicKey: replacement.box.publicKey },
            previous: { signPublicKey: member.keys.identity.signing.publicKey, boxPublicKey: member.keys.identity.box.publicKey },
            newSignSecretKey: replacement.signing.secretKey,
          }),
        },
      }),
    )
    await replaceRoster(cellId, [...(await storedLinks(cellId)), keyChange])

    const device = await personFor(member, { withSession: true })
    await open(device, `/cellules/${cellId}`)
    // Keys locked: the roster verifies, the device is not anchored.
    expect(await seen(device.page)).toMatchObject({ alarm: null, code: 1, unverified: 1 })
    await device.page.getByRole('button', { name: /J’atteste que ce code/ }).click()
    await unlock(device)
    // The gate checks again with the keys: the member's own entry is not theirs.
    await device.page.getByTestId('alarme-registre').waitFor({ timeout: 15_000 })
    expect(await device.page.getByTestId('alarme-registre').innerText()).toMatch(/vos propres clés ont été remplacées dans le registre/)
    expect(await device.page.getByTestId('code-registre').count()).toBe(0)
    expect(await device.page.getByRole('button', { name: 'Signer l’attestation' }).count()).toBe(0)
    await expectNoAxeViolationsAtWidths(device.page)
    await device.context.close()
  })

  it('no page error or console error along the way', () => {
    expect(problems).toEqual([])
  })
})
