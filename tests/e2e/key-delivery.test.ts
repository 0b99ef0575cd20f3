import { randomUUID } from 'node:crypto'
import { and, asc, eq } from 'drizzle-orm'
import { type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CHARTER } from '#charter/default-charter.ts'
import { charterHash } from '#charter/hash.ts'
import { validateRoster } from '#crypto/roster.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { insertCell } from '#db/cells.ts'
import { cellKeyBlobs, memberships, rosterLinks } from '#db/schema.ts'
import { foundDemoCell } from '#server/demo/founding.ts'
import { createAccountFixture, type AccountFixture } from '#tests/support/account-factory.ts'
import { personAt, unlockIfAsked, type Person } from '#tests/support/e2e-people.ts'
import { expectNoAxeViolationsAtWidths } from '#tests/support/axe.ts'
import { chromiumAvailable, launchChromium } from '#tools/browser/chromium.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'

/**
 * Issue 13 items 1–3 as a new coordinator meets them, in Chromium: a second coordinator confirms a
 * newcomer, who then opens every key the roster gives them (PoC 1e: « context mismatch » before);
 * that newcomer, a coordinator, removes a member, which needs the cell key, the index key and the
 * intake seed, all delivered by the second coordinator; removing the DPO completes (PoC 1d: stuck
 * for ever before). Intake seeds go to coordinators only; index keys never to associates or the DPO.
 */

describe.skipIf(!chromiumAvailable())('keys delivered by whoever the roster names', () => {
  let app: InProcessApp
  let browser: Browser
  let founder: Person
  let bruno: Person
  let zoe: Person
  let alice: AccountFixture
  let dpo: AccountFixture
  let associate: AccountFixture
  let cellId: string
  const db = () => app.database.handle.db

  async function open(person: Person, path: string) {
    await person.page.goto(`${app.url}${path}`)
    await person.page.waitForFunction(() => Boolean((window as unknown as { __remixContext?: unknown }).__remixContext))
    await person.page.waitForLoadState('networkidle')
  }

  async function roster() {
    const links = (await db().select().from(rosterLinks).where(eq(rosterLinks.cellId, cellId)).orderBy(asc(rosterLinks.seq))).map(row => row.link)
    return validateRoster({ cellId, links })
  }

  async function sealedSlots(kind: string, epoch: number): Promise<string[]> {
    const rows = await db().select().from(cellKeyBlobs).where(and(eq(cellKeyBlobs.cellId, cellId), eq(cellKeyBlobs.kind, kind), eq(cellKeyBlobs.epoch, epoch)))
    return rows.map(row => row.slot).sort()
  }

  async function remove(by: Person, displayName: string) {
    await open(by, `/cellules/${cellId}/membres`)
    await unlockIfAsked(by)
    await by.page.getByRole('button', { name: new RegExp(`Retirer ${displayName}`) }).click()
    await by.page.getByRole('button', { name: `Confirmer le retrait de ${displayName}` }).click()
    await by.page.getByText('a été retiré·e').waitFor({ timeout: 30_000 })
  }

  beforeAll(async () => {
    ;[app, browser] = await Promise.all([startInProcessApp(), launchChromium()])
    await initCrypto()
    const suffix = randomUUID().slice(0, 6)
    const [founderAccount, brunoAccount, zoeAccount, aliceAccount, dpoAccount, associateAccount] = await Promise.all([
      createAccountFixture(app.runtime, { email: `fondatrice.${suffix}@ville.fr`, password: 'mot-de-passe-fondatrice-1', displayName: 'Dr Inès Fondatrice', profession: 'medecin' }),
      createAccountFixture(app.runtime, { email: `bruno.${suffix}@ville.fr`, password: 'mot-de-passe-bruno-1', displayName: 'Bruno Second', profession: 'medecin' }),
      createAccountFixture(app.runtime, { email: `zoe.${suffix}@ssiad.fr`, password: 'mot-de-passe-zoe-1', displayName: 'Zoé Nouvelle', profession: 'infirmier' }),
      createAccountFixture(app.runtime, { email: `alice.${suffix}@departement.fr`, password: 'mot-de-passe-alice-1', displayName: 'Alice Sociale', profession: 'assistant_service_social' }),
      createAccountFixture(app.runtime, { email: `dpo.${suffix}@ville.fr`, password: 'mot-de-passe-dpo-1', displayName: 'Denis Délégué', profession: 'autre' }),
      createAccountFixture(app.runtime, { email: `asso.${suffix}@asso.fr`, password: 'mot-de-passe-asso-1', displayName: 'Anne Associée', profession: 'autre' }),
    ])
    alice = aliceAccount
    dpo = dpoAccount
    associate = associateAccount
    const cell = await insertCell(db(), {
      slug: `livraison-${suffix}`,
      name: 'Cellule des clés',
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
      members: [
        { ...founderAccount.keys, role: 'coordinator' },
        { ...brunoAccount.keys, role: 'coordinator' },
        { ...aliceAccount.keys, role: 'member' },
        { ...dpoAccount.keys, role: 'dpo' },
        { ...associateAccount.keys, role: 'associate' },
      ],
    })
    expect(founded).toBe(true)
    founder = await personAt({ browser, appUrl: app.url, account: founderAccount })
    bruno = await personAt({ browser, appUrl: app.url, account: brunoAccount })
    zoe = await personAt({ browser, appUrl: app.url, account: zoeAccount })
  })

  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  it('the founding seals intake seeds to coordinators only and index keys to nominative-capable members only', async () => {
    const state = await roster()
    expect(state.currentIntakeIndex).toBe(1) // Bruno's arrival in the triage set published key 1, retiring key 0.
    expect(state.intakeKeys.get(0)?.retiredAtSeq).toBeDefined()
    expect(await sealedSlots('intake_seed', 1)).toEqual([founder.account.userId, bruno.account.userId].sort())
    expect(await sealedSlots('index_key', 0)).toEqual([founder.account.userId, bruno.account.userId, alice.userId].sort())
    expect(await sealedSlots('cell_epoch_key', 0)).toEqual([founder.account.userId, bruno.account.userId, alice.userId, associate.userId].sort())
    expect((await sealedSlots('cell_epoch_key', 0)).includes(dpo.userId)).toBe(false)
  })

  it('a newcomer confirmed by the second coordinator uses the keys that coordinator delivered', async () => {
    // Bruno's device has never seen this roster: he compares the code at a meeting and attests it.
    await open(bruno, `/cellules/${cellId}`)
    await bruno.page.getByTestId('registre-non-verifie').waitFor()
    await bruno.page.getByRole('button', { name: 'J’atteste que ce code a été lu et qu’il est identique' }).click()
    await unlockIfAsked(bruno)
    await bruno.page.getByRole('button', { name: /Signer l’attestation de l’état n°/ }).click({ timeout: 30_000 })
    await bruno.page.getByText(/Votre attestation de l’état n° \d+ est inscrite au registre/).waitFor({ timeout: 30_000 })

    // Bruno invites Zoé as a coordinator; the code goes by hand, both read the same SAS.
    await open(bruno, `/cellules/${cellId}/membres`)
    await unlockIfAsked(bruno)
    await bruno.page.getByLabel('Adresse électronique').fill(zoe.account.email)
    await bruno.page.getByLabel('Rôle', { exact: true }).selectOption('coordinator')
    await bruno.page.getByRole('button', { name: 'Créer l’invitation' }).click()
    const invitationCode = (await bruno.page.getByTestId('code-invitation').innerText()).trim()
    const invitationUrl = (await bruno.page.getByTestId('lien-invitation').innerText()).trim()
    await open(zoe, new URL(invitationUrl).pathname)
    await unlockIfAsked(zoe)
    await zoe.page.getByLabel(/Code d’invitation/).fill(invitationCode)
    await zoe.page.getByRole('button', { name: 'Valider le code' }).click()
    const zoeSas = (await zoe.page.getByTestId('sas').innerText()).trim()
    await open(bruno, `/cellules/${cellId}/membres`)
    await unlockIfAsked(bruno)
    await bruno.page.getByRole('button', { name: 'Vérifier la personne' }).click()
    expect((await bruno.page.getByTestId(`sas-coordination-${zoe.account.email}`).innerText()).trim()).toBe(zoeSas)
    await bruno.page.getByRole('button', { name: 'Les codes sont identiques : confirmer' }).click()
    await bruno.page.getByRole('cell', { name: /^Zoé Nouvelle/ }).waitFor({ timeout: 30_000 })

    // A coordinator's arrival changes the triage set: a new intake key, signed by the previous one.
    const afterAdd = await roster()
    expect(afterAdd.currentIntakeIndex).toBe(2)
    expect(afterAdd.intakeKeys.get(2)?.authorId).toBe(bruno.account.userId)
    expect(await sealedSlots('intake_seed', 2)).toEqual([founder.account.userId, bruno.account.userId, zoe.account.userId].sort())

    // Zoé signs the charter, then removes Alice: her browser opens the cell key and the index key Bruno
    // sealed to her, and the intake seed he published, or the removal could not be prepared.
    await zoe.page.getByRole('link', { name: 'Lire et signer la charte' }).click({ timeout: 30_000 })
    await unlockIfAsked(zoe)
    await zoe.page.getByRole('button', { name: /Je signe la charte \(version 1\)/ }).click()
    await zoe.page.getByText('Vous avez signé la version en vigueur').waitFor()
    await remove(zoe, 'Alice Sociale')
    const afterRemoval = await roster()
    expect(afterRemoval.currentEpoch).toBe(1)
    expect(afterRemoval.epochs.get(1)?.authorId).toBe(zoe.account.userId)
    expect(await sealedSlots('cell_epoch_key', 1)).not.toContain(alice.userId)
    expect(await sealedSlots('index_key', 1)).toEqual([founder.account.userId, bruno.account.userId, zoe.account.userId].sort())
    await expectNoAxeViolationsAtWidths(zoe.page)
  })

  it('removing the DPO completes at once, with no rotation (nobody sealed them a key)', async () => {
    const before = await roster()
    await remove(founder, 'Denis Délégué')
    const after = await roster()
    expect(after.headSeq).toBe(before.headSeq + 1)
    expect(after.currentEpoch).toBe(before.currentEpoch)
    expect(after.rotationRequired).toBe(false)
    const [membership] = await db().select().from(memberships).where(and(eq(memberships.cellId, cellId), eq(memberships.userId, dpo.userId)))
    expect(membership?.status).toBe('removed')
    expect([...founder.problems, ...bruno.problems, ...zoe.problems]).toEqual([])
  })
})
