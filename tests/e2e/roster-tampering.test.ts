import { randomUUID } from 'node:crypto'
import { and, asc, eq } from 'drizzle-orm'
import { type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CHARTER } from '#charter/default-charter.ts'
import { charterHash } from '#charter/hash.ts'
import { fromBase64Url, toBase64Url } from '#crypto/encoding.ts'
import { generateIdentityKeys } from '#crypto/identity.ts'
import { parseRosterLink, type RosterPayload } from '#crypto/roster-links.ts'
import { createRosterLink, validateRoster, type RosterState } from '#crypto/roster.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { insertCell, upsertActiveMembership } from '#db/cells.ts'
import { rosterLinks } from '#db/schema.ts'
import { foundDemoCell } from '#server/demo/founding.ts'
import { createAccountFixture, sessionCookie, type AccountFixture } from '#tests/support/account-factory.ts'
import { chromiumAvailable, launchChromium } from '#tools/browser/chromium.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'

/**
 * DESIGN §7: the server stores and serves the roster but cannot mint a member, roll the roster back
 * or show a fork. Here the server is the attacker: the test edits `roster_links` directly, and the
 * member's browser must replace the cell home by the blocking alarm (no roster code, no attestation).
 */

type Signer = { memberId: string; signSecretKey: Uint8Array }

describe.skipIf(!chromiumAvailable())('a roster tampered with by the server is detected by the member’s browser', () => {
  let app: InProcessApp
  let browser: Browser
  let coordinator: AccountFixture
  let member: AccountFixture
  let context: BrowserContext
  let page: Page
  const problems: string[] = []

  const db = () => app.database.handle.db
  const signerOf = (account: AccountFixture): Signer => ({ memberId: account.userId, signSecretKey: account.keys.identity.signing.secretKey })

  /** A cell founded exactly as browsers do it (genesis, epoch 0, intake key, charter, member added), both signed. */
  async function foundedCell(name: string): Promise<string> {
    const cell = await insertCell(db(), {
      slug: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${randomUUID().slice(0, 6)}`,
      name,
      communes: ['Sevran'],
      hostInstitution: 'Ville de Sevran',
      dpoContact: 'dpo@sevran.fr',
      createdBy: null,
      charter: DEFAULT_CHARTER,
      charterHash: await charterHash(DEFAULT_CHARTER),
    })
    const founded = await foundDemoCell({
      db: db(),
      cellId: cell.id,
      members: [
        { ...coordinator.keys, role: 'coordinator' },
        { ...member.keys, role: 'member' },
      ],
    })
    expect(founded).toBe(true)
    return cell.id
  }

  async function storedLinks(cellId: string): Promise<string[]> {
    const rows = await db().select().from(rosterLinks).where(eq(rosterLinks.cellId, cellId)).orderBy(asc(rosterLinks.seq))
    return rows.map(row => row.link)
  }

  async function storedState(cellId: string): Promise<RosterState> {
    return validateRoster({ cellId, links: await storedLinks(cellId) })
  }

  function signLink({ state, author, payload, createdAtMs = Date.now() }: { state: RosterState; author: Signer; payload: RosterPayload; createdAtMs?: number }): string {
    return toBase64Url(createRosterLink({ state, author, payload, createdAtMs }))
  }

  function attestation(state: RosterState): RosterPayload {
    return { type: 'verification_attestation', attestedSeq: state.securityHeadSeq, attestedHash: state.securityHeadHash }
  }

  /** What a server would do: write any row it likes. */
  async function insertRow(cellId: string, link: string) {
    const parsed = parseRosterLink(link)
    await db().insert(rosterLinks).values({ cellId, seq: parsed.seq, link, linkType: parsed.payload.type, authorId: parsed.authorId })
  }

  async function deleteRow(cellId: string, seq: number) {
    await db().delete(rosterLinks).where(and(eq(rosterLinks.cellId, cellId), eq(rosterLinks.seq, seq)))
  }

  async function replaceRow(cellId: string, seq: number, link: string) {
    await db().update(rosterLinks).set({ link }).where(and(eq(rosterLinks.cellId, cellId), eq(rosterLinks.seq, seq)))
  }

  /** The member opens the cell home and the browser finishes checking the roster (code, alarm or error). */
  async function visit(cellId: string): Promise<{ alarm: string | null; code: string | null }> {
    await page.goto(`${app.url}/cellules/${cellId}`)
    await page.waitForFunction(() => Boolean((window as unknown as { __remixContext?: unknown }).__remixContext))
    await page.locator('[data-testid="alarme-registre"], [data-testid="code-registre"], .fr-alert--warning[role="alert"]').last().waitFor({ timeout: 30_000 })
    await page.waitForFunction(() => !document.body.innerText.includes('Vérification du registre de la cellule'))
    const alarm = page.getByTestId('alarme-registre')
    const code = page.getByTestId('code-registre')
    return {
      alarm: (await alarm.count()) ? (await alarm.innerText()).trim() : null,
      code: (await code.count()) ? (await code.innerText()).trim() : null,
    }
  }

  async function expectAlarm(cellId: string, reason: RegExp) {
    const seen = await visit(cellId)
    expect(seen.code).toBeNull()
    expect(seen.alarm).toMatch(/Alerte de sécurité : registre de la cellule invalide/)
    expect(seen.alarm).toMatch(reason)
    // Nothing of the roster's content is offered either.
    expect(await page.getByRole('button', { name: /J’atteste/ }).count()).toBe(0)
    expect(await page.getByText(/personne\(s\) dans le registre/).count()).toBe(0)
  }

  async function expectCode(cellId: string): Promise<string> {
    const seen = await visit(cellId)
    expect(seen.alarm).toBeNull()
    expect(seen.code).toMatch(/^\d{4} \d{4} \d{4}$/)
    return seen.code as string
  }

  async function pinOf(cellId: string): Promise<{ seq: number; hash: string } | null> {
    const raw = await page.evaluate(key => window.localStorage.getItem(key), `cellule.roster-pin.${member.userId}.${cellId}`)
    return raw ? (JSON.parse(raw) as { seq: number; hash: string }) : null
  }

  beforeAll(async () => {
    ;[app, browser] = await Promise.all([startInProcessApp(), launchChromium()])
    await initCrypto()
    ;[coordinator, member] = await Promise.all([
      createAccountFixture(app.runtime, { email: 'coordination.registre@ville.fr', password: 'mot-de-passe-coord-registre-1', displayName: 'Dr Inès Coordination', profession: 'medecin' }),
      createAccountFixture(app.runtime, { email: 'membre.registre@departement.fr', password: 'mot-de-passe-membre-registre-1', displayName: 'Yanis Membre', profession: 'assistant_service_social' }),
    ])
    context = await browser.newContext({ locale: 'fr-FR' })
    await context.addCookies([sessionCookie({ url: app.url, token: member.sessionToken })])
    page = await context.newPage()
    page.on('pageerror', error => problems.push(error.message))
    page.on('console', message => {
      if (message.type() === 'error') problems.push(message.text())
    })
  })

  afterAll(async () => {
    await context?.close()
    await browser?.close()
    await app?.close()
  })

  it('control: the untampered roster shows the roster code, no alarm, and pins the head', async () => {
    const cellId = await foundedCell('Cellule témoin')
    const state = await storedState(cellId)
    await expectCode(cellId)
    expect(await pinOf(cellId)).toEqual({ seq: state.headSeq, hash: toBase64Url(state.headHash) })
    // A legitimate later link (the coordinator attests) is accepted and moves the pin forward.
    await insertRow(cellId, signLink({ state, author: signerOf(coordinator), payload: attestation(state) }))
    await expectCode(cellId)
    expect((await pinOf(cellId))?.seq).toBe(state.headSeq + 1)
    expect(problems).toEqual([])
  })

  it('a link whose signature has one flipped byte: alarm', async () => {
    const cellId = await foundedCell('Cellule signature')
    const links = await storedLinks(cellId)
    const lastSeq = links.length - 1
    const bytes = fromBase64Url(links[lastSeq] as string)
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0x01
    await replaceRow(cellId, lastSeq, toBase64Url(bytes))
    await expectAlarm(cellId, new RegExp(`maillon ${lastSeq} : signature`))
    expect(await pinOf(cellId)).toBeNull()

    // The genesis itself, tampered the same way: alarm too.
    await replaceRow(cellId, lastSeq, links[lastSeq] as string)
    await expectCode(cellId)
    const genesis = fromBase64Url(links[0] as string)
    genesis[genesis.length - 10] = (genesis[genesis.length - 10] ?? 0) ^ 0x80
    await replaceRow(cellId, 0, toBase64Url(genesis))
    await expectAlarm(cellId, /maillon 0 : signature de la genèse/)
  })

  it('rollback: the last link the member saw is withdrawn: alarm', async () => {
    const cellId = await foundedCell('Cellule retour arrière')
    const state = await storedState(cellId)
    await insertRow(cellId, signLink({ state, author: signerOf(coordinator), payload: attestation(state) }))
    await expectCode(cellId)
    expect((await pinOf(cellId))?.seq).toBe(state.headSeq + 1)

    await deleteRow(cellId, state.headSeq + 1)
    // The shorter chain is valid on its own: only the pin reveals the rollback.
    expect((await storedState(cellId)).headSeq).toBe(state.headSeq)
    await expectAlarm(cellId, /plus ancien/)
    // The alarm does not move the pin back: the next visit alarms again.
    expect((await pinOf(cellId))?.seq).toBe(state.headSeq + 1)
    await expectAlarm(cellId, /plus ancien/)
  })

  it('fork: the last link the member saw is replaced by another valid link at the same position: alarm', async () => {
    const cellId = await foundedCell('Cellule fourche')
    const state = await storedState(cellId)
    const seen = signLink({ state, author: signerOf(coordinator), payload: attestation(state), createdAtMs: Date.now() - 60_000 })
    await insertRow(cellId, seen)
    await expectCode(cellId)

    const other = signLink({ state, author: signerOf(coordinator), payload: attestation(state), createdAtMs: Date.now() })
    expect(other).not.toBe(seen)
    await replaceRow(cellId, state.headSeq + 1, other)
    // The forked chain is valid on its own: only the pin reveals it.
    expect((await storedState(cellId)).headSeq).toBe(state.headSeq + 1)
    await expectAlarm(cellId, /diverge/)

    // A longer fork (the other branch and one more link) does not hide it either.
    const forked = await storedState(cellId)
    await insertRow(cellId, signLink({ state: forked, author: signerOf(member), payload: attestation(forked) }))
    expect((await storedState(cellId)).headSeq).toBe(state.headSeq + 2)
    await expectAlarm(cellId, /diverge/)
  })

  it('a member the coordinator never signed: added by the member themself, by an unknown key, or by a forged coordinator signature: alarm', async () => {
    const cellId = await foundedCell('Cellule membre fantôme')
    const state = await storedState(cellId)
    const intruder = generateIdentityKeys()
    const intruderId = randomUUID()
    const addIntruder: RosterPayload = { type: 'add_member', memberId: intruderId, signPublicKey: intruder.signing.publicKey, boxPublicKey: intruder.box.publicKey, role: 'member' }

    // Signed by the (non-coordinator) member with their real key.
    await insertRow(cellId, signLink({ state, author: signerOf(member), payload: addIntruder }))
    await expectAlarm(cellId, /add_member réservé aux coordinateurs/)
    await deleteRow(cellId, state.headSeq + 1)
    await expectCode(cellId)

    // Signed by a key pair whose author is not in the roster (the intruder adding themself).
    await insertRow(cellId, signLink({ state, author: { memberId: intruderId, signSecretKey: intruder.signing.secretKey }, payload: addIntruder }))
    await expectAlarm(cellId, /inconnu ou retiré/)
    await deleteRow(cellId, state.headSeq + 1)

    // In the coordinator's name, but signed with another key.
    await insertRow(cellId, signLink({ state, author: { memberId: coordinator.userId, signSecretKey: intruder.signing.secretKey }, payload: addIntruder }))
    await expectAlarm(cellId, new RegExp(`maillon ${state.headSeq + 1} : signature`))
    await deleteRow(cellId, state.headSeq + 1)

    // The coordinator's own role-granting by the member (set_role to coordinator) is refused the same way.
    await insertRow(cellId, signLink({ state, author: signerOf(member), payload: { type: 'set_role', memberId: member.userId, role: 'coordinator' } }))
    await expectAlarm(cellId, /set_role réservé aux coordinateurs/)
  })

  it('a link signed by a member after their removal: alarm', async () => {
    const leaver = await createAccountFixture(app.runtime, { email: `depart.${randomUUID().slice(0, 8)}@ccas.fr`, password: 'mot-de-passe-depart-1', displayName: 'Lina Départ', profession: 'infirmier' })
    const cell = await insertCell(db(), { slug: `depart-${randomUUID().slice(0, 8)}`, name: 'Cellule départ', communes: ['Sevran'], hostInstitution: 'Ville de Sevran', dpoContact: 'dpo@sevran.fr', createdBy: null, charter: DEFAULT_CHARTER, charterHash: await charterHash(DEFAULT_CHARTER) })
    expect(await foundDemoCell({ db: db(), cellId: cell.id, members: [{ ...coordinator.keys, role: 'coordinator' }, { ...member.keys, role: 'member' }, { ...leaver.keys, role: 'member' }] })).toBe(true)
    const state = await storedState(cell.id)
    // The coordinator removes the leaver (the removal and its new epoch, signed for real).
    const removal = signLink({ state, author: signerOf(coordinator), payload: { type: 'remove_member', memberId: leaver.userId } })
    const afterRemoval = validateRoster({ cellId: cell.id, links: [...(await storedLinks(cell.id)), removal] })
    const rotation = signLink({ state: afterRemoval, author: signerOf(coordinator), payload: { type: 'rotate_epoch', epoch: 1, keyCommitment: new Uint8Array(32).fill(9), recipientIds: [coordinator.userId, member.userId].sort(), indexKeyCommitment: new Uint8Array(32).fill(8), indexRecipientIds: [coordinator.userId, member.userId].sort() } })
    await insertRow(cell.id, removal)
    await insertRow(cell.id, rotation)
    await expectCode(cell.id)
    // The server then serves a link the removed member signed afterwards.
    const rotated = await storedState(cell.id)
    await insertRow(cell.id, signLink({ state: rotated, author: signerOf(leaver), payload: attestation(rotated) }))
    await expectAlarm(cell.id, /inconnu ou retiré/)
  })

  it('a valid link moved from another cell: alarm', async () => {
    const cellA = await foundedCell('Cellule A')
    const cellB = await foundedCell('Cellule B')
    const stateA = await storedState(cellA)
    const stateB = await storedState(cellB)
    expect(stateA.headSeq).toBe(stateB.headSeq)
    await expectCode(cellA)

    // Cell B's next link (an attestation by the same coordinator), valid in B, appended to A.
    const linkOfB = signLink({ state: stateB, author: signerOf(coordinator), payload: attestation(stateB) })
    expect(validateRoster({ cellId: cellB, links: [...(await storedLinks(cellB)), linkOfB] }).headSeq).toBe(stateB.headSeq + 1)
    await insertRow(cellA, linkOfB)
    await expectAlarm(cellA, /autre cellule/)
    await deleteRow(cellA, stateA.headSeq + 1)

    // Cell B's add_member of the same person, replacing A's: same author, same keys, other cell.
    const linksB = await storedLinks(cellB)
    await replaceRow(cellA, stateA.headSeq, linksB[stateB.headSeq] as string)
    await expectAlarm(cellA, /autre cellule/)
  })

  it('the whole roster of another cell served in place of this one: alarm', async () => {
    const cellA = await foundedCell('Cellule substituée A')
    const cellB = await foundedCell('Cellule substituée B')
    await expectCode(cellA)
    const linksB = await storedLinks(cellB)
    for (const [seq, link] of linksB.entries()) await replaceRow(cellA, seq, link)
    await expectAlarm(cellA, /maillon 0 : autre cellule/)
  })

  it('rollback to nothing: a member who saw the roster gets the alarm when the server serves an empty roster', async () => {
    const cellId = await foundedCell('Cellule effacée')
    await expectCode(cellId)
    expect(await pinOf(cellId)).not.toBeNull()
    await db().delete(rosterLinks).where(eq(rosterLinks.cellId, cellId))
    const seen = await visit(cellId)
    expect(seen.code).toBeNull()
    // Not "this cell has not been founded yet": this browser saw it founded, the server rolled it back.
    expect(await page.getByText('Cette cellule n’a pas encore été fondée').count()).toBe(0)
    expect(seen.alarm ?? '').toMatch(/Alerte de sécurité/)
  })

  it('a pin this browser cannot read (altered, or turned to null) is the alarm, not « no pin », and stays as it was', async () => {
    const cellId = await foundedCell('Cellule trace illisible')
    const state = await storedState(cellId)
    await expectCode(cellId)
    const key = `cellule.roster-pin.${member.userId}.${cellId}`
    for (const raw of ['{"seq":', 'null']) {
      await page.evaluate(([name, value]) => window.localStorage.setItem(name as string, value as string), [key, raw])
      await expectAlarm(cellId, /ce navigateur ne peut plus vérifier/i)
      expect(await page.evaluate(name => window.localStorage.getItem(name), key)).toBe(raw)
    }
    // The roster itself is untouched: the alarm comes from the pin alone.
    expect((await storedState(cellId)).headSeq).toBe(state.headSeq)
  })

  /** Opens another page of the cell and waits until the browser has settled (no roster check left running). */
  async function openPage(path: string) {
    await page.goto(`${app.url}${path}`)
    await page.waitForFunction(() => Boolean((window as unknown as { __remixContext?: unknown }).__remixContext))
    await page.waitForLoadState('networkidle')
    await page.waitForFunction(() => !document.body.innerText.includes('Vérification du registre de la cellule'))
  }

  it('the members page of a tampered roster shows the alarm instead of the member list', async () => {
    const cellId = await foundedCell('Cellule membres falsifiés')
    const links = await storedLinks(cellId)
    const lastSeq = links.length - 1
    const bytes = fromBase64Url(links[lastSeq] as string)
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0x01
    await replaceRow(cellId, lastSeq, toBase64Url(bytes))
    await expectAlarm(cellId, /signature/)

    await openPage(`/cellules/${cellId}/membres`)
    expect(await page.getByTestId('alarme-registre').count()).toBe(1)
    expect(await page.getByRole('cell', { name: coordinator.displayName }).count()).toBe(0)
  })

  it('the roster history page of a tampered roster shows the alarm instead of the forged history', async () => {
    const cellId = await foundedCell('Cellule historique falsifié')
    const state = await storedState(cellId)
    const intruder = generateIdentityKeys()
    await insertRow(cellId, signLink({ state, author: signerOf(member), payload: { type: 'add_member', memberId: randomUUID(), signPublicKey: intruder.signing.publicKey, boxPublicKey: intruder.box.publicKey, role: 'coordinator' } }))
    await expectAlarm(cellId, /réservé aux coordinateurs/)

    await openPage(`/cellules/${cellId}/registre`)
    expect(await page.getByTestId('alarme-registre').count()).toBe(1)
    // The forged link (seq, signed by the member) must not be listed as an ordinary operation of the roster.
    expect(await page.getByRole('row').filter({ hasText: String(state.headSeq + 1) }).filter({ hasText: member.displayName }).count()).toBe(0)
  })

  it('a member minted by the server (a membership row, no roster link) is not presented as a member', async () => {
    const cellId = await foundedCell('Cellule membre inventé')
    const intruder = await createAccountFixture(app.runtime, { email: `intrus.${randomUUID().slice(0, 8)}@exemple.fr`, password: 'mot-de-passe-intrus-1', displayName: 'Ivan Intrus', profession: 'medecin' })
    await upsertActiveMembership(db(), { cellId, userId: intruder.userId, role: 'coordinator' })
    await expectCode(cellId)

    await openPage(`/cellules/${cellId}/membres`)
    const alarm = await page.getByTestId('alarme-registre').count()
    const listed = await page.getByRole('cell', { name: 'Ivan Intrus' }).count()
    expect({ alarm, listed }).not.toEqual({ alarm: 0, listed: 1 })
  })

  it('no page error or console error along the way', () => {
    expect(problems).toEqual([])
  })
})
