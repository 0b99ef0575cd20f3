import { type AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { and, eq } from 'drizzle-orm'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { validateRoster } from '#crypto/roster.ts'
import { listRosterLinks, markMembershipRemoved, noteMembershipChange } from '#db/cells.ts'
import { auditDetails, auditQueue, cellInvitations, cells, memberships } from '#db/schema.ts'
import { prepareAttestation, type UnlockedKeys } from '#app/cells/cell-client.ts'
import { parseConfig } from '#server/config.ts'
import { foundDemoCell } from '#server/demo/founding.ts'
import { createMailer } from '#server/mailer.ts'
import { createAccountFixture, type AccountFixture } from '#tests/support/account-factory.ts'
import { getPage, postForm, postJson, resetThrottles, SESSION_COOKIE } from '#tests/support/account-fixtures.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'

/**
 * Issue 12's server rules for invitations and membership (items 4, 5, 9): one open invitation per
 * address, cancellation journaled with its reason and scoped to its cell, the content-free e-mail
 * over a real SMTP server (and an invitation that stands when mail fails), notices after a removal,
 * and a roster changed meanwhile said as such.
 */

let app: InProcessApp
let smtp: SMTPServer
let smtpPort = 0
const mails: { to: string[]; raw: string }[] = []
let cellId: string
let coordinator: AccountFixture
let member: AccountFixture
let outsider: AccountFixture

const cookieOf = (account: AccountFixture) => `${SESSION_COOKIE}=${account.sessionToken}`
const db = () => app.database.handle.db
const invite = (email: string, role = 'associate') => postJson(app, `/api/cells/${cellId}/invitations`, { email, role }, { cookie: cookieOf(coordinator) })
const cancel = (invitationId: string, reason: unknown, cell = cellId, account = coordinator) =>
  postJson(app, `/api/cells/${cell}/invitations/${invitationId}/cancel`, { reason }, { cookie: cookieOf(account) })

async function journal(action: string) {
  const rows = await db().select({ detail: auditDetails.detail }).from(auditQueue).innerJoin(auditDetails, eq(auditDetails.eventId, auditQueue.eventId)).where(and(eq(auditQueue.action, action), eq(auditQueue.cellId, cellId)))
  return rows.map(row => row.detail.data)
}

beforeAll(async () => {
  app = await startInProcessApp()
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData(stream, session, callback) {
      let raw = ''
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString('latin1')))
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map(recipient => recipient.address), raw })
        callback()
      })
    },
  })
  await new Promise<void>(resolve => smtp.listen(0, '127.0.0.1', resolve))
  smtpPort = (smtp.server.address() as AddressInfo).port
  ;[coordinator, member, outsider] = await Promise.all([
    createAccountFixture(app.runtime, { email: 'coordination@integration.fr', password: 'mot-de-passe-coord-3', displayName: 'Camille Coordination', profession: 'medecin' }),
    createAccountFixture(app.runtime, { email: 'membre@integration.fr', password: 'mot-de-passe-membre-3', displayName: 'Mona Membre', profession: 'infirmier' }),
    createAccountFixture(app.runtime, { email: 'autre@integration.fr', password: 'mot-de-passe-autre-3', displayName: 'Oscar Autre', profession: 'medecin' }),
  ])
  const [cell] = await db().select({ id: cells.id }).from(cells)
  if (!cell) throw new Error('no demo cell')
  cellId = cell.id
  await foundDemoCell({ db: db(), cellId, members: [{ ...coordinator.keys, role: 'coordinator' }, { ...member.keys, role: 'member' }] })
})

afterAll(async () => {
  await app?.close()
  await new Promise<void>(resolve => (smtp ? smtp.close(() => resolve()) : resolve()))
})

beforeEach(async () => {
  app.runtime.mailer = undefined
  await resetThrottles(app)
})

describe('configuration of the mailer', () => {
  it('SMTP_URL needs MAIL_FROM and an smtp(s) scheme; both set give the runtime its mailer settings', () => {
    expect(() => parseConfig({ SMTP_URL: 'smtp://127.0.0.1:2525' })).toThrow(/MAIL_FROM: obligatoire avec SMTP_URL/)
    expect(() => parseConfig({ SMTP_URL: 'https://mail.example.fr', MAIL_FROM: 'cellule@ville.fr' })).toThrow(/SMTP_URL doit commencer par smtp/)
    expect(() => parseConfig({ SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'pas une adresse' })).toThrow(/MAIL_FROM/)
    expect(parseConfig({ SMTP_URL: 'smtps://u:p@mail.ville.fr:465', MAIL_FROM: 'Cellule <cellule@ville.fr>' }).mail).toEqual({ smtpUrl: 'smtps://u:p@mail.ville.fr:465', from: 'Cellule <cellule@ville.fr>' })
    expect(parseConfig({}).mail).toBeUndefined()
  })
})

describe('invitations', () => {
  it('sends a content-free e-mail with the links when a mailer is configured; none without', async () => {
    app.runtime.mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${smtpPort}`, from: 'Cellule <cellule@test.local>' })
    const email = `personne.${randomUUID().slice(0, 8)}@exemple.fr`
    const response = await invite(email)
    expect(response.status, response.text).toBe(200)
    expect(response.json?.mailSent).toBe(true)
    await expect.poll(() => mails.filter(mail => mail.to.includes(email)).length).toBe(1)
    const raw = mails.find(mail => mail.to.includes(email))?.raw ?? ''
    const text = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    expect(text).toContain(`/rejoindre/${String(response.json?.invitationId)}`)
    // No account yet: the one-time account link too, its token in the fragment.
    expect(text).toContain('/invitation?suite=')
    expect(text).not.toContain('Sevran')
    expect(raw).toMatch(/^Subject: =\?UTF-8\?Q\?Invitation_/m)

    app.runtime.mailer = undefined
    const quiet = await invite(`personne.${randomUUID().slice(0, 8)}@exemple.fr`)
    expect(quiet.status, quiet.text).toBe(200)
    expect(quiet.json?.mailSent).toBe(false)
  })

  it('a mail server that refuses does not undo the invitation: mailSent false, a warning without the address', async () => {
    const closed = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], onRcptTo: (_address, _session, callback) => callback(new Error('boîte inconnue')) })
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve))
    try {
      app.runtime.mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${(closed.server.address() as AddressInfo).port}`, from: 'cellule@test.local' })
      const email = `refus.${randomUUID().slice(0, 8)}@exemple.fr`
      const response = await invite(email)
      expect(response.status, response.text).toBe(200)
      expect(response.json?.mailSent).toBe(false)
      expect(await db().select().from(cellInvitations).where(eq(cellInvitations.email, email))).toHaveLength(1)
      expect(app.logs()).toContain('invitation e-mail not sent')
      expect(app.logs()).not.toContain(email)
    } finally {
      await new Promise<void>(resolve => closed.close(() => resolve()))
    }
  })

  it('one open invitation per address: a second is refused (409, on the field) until the first is cancelled', async () => {
    const email = `doublon.${randomUUID().slice(0, 8)}@exemple.fr`
    const first = await invite(email)
    expect(first.status, first.text).toBe(200)
    const second = await invite(` ${email.toUpperCase()} `, 'member')
    expect(second.status, second.text).toBe(409)
    expect(second.json?.error).toMatch(/déjà en cours pour cette adresse/)
    expect(second.json?.fieldErrors).toEqual({ email: ['Une invitation est déjà en cours pour cette adresse.'] })
    // Concurrent invitations of one address: one passes.
    const third = `concurrence.${randomUUID().slice(0, 8)}@exemple.fr`
    const racing = await Promise.all([invite(third), invite(third), invite(third)])
    expect(racing.map(response => response.status).sort()).toEqual([200, 409, 409])

    const cancelled = await cancel(String(first.json?.invitationId), 'withdrawn')
    expect(cancelled.status, cancelled.text).toBe(200)
    expect(cancelled.json?.message).toMatch(/Invitation annulée/)
    expect((await invite(email)).status).toBe(200)
  })

  it('cancellation: journaled with its reason, only for an open invitation of the cell, never through another cell or by a member', async () => {
    const email = `annulation.${randomUUID().slice(0, 8)}@exemple.fr`
    const invitationId = String((await invite(email)).json?.invitationId)
    expect((await cancel(invitationId, 'n’importe quoi')).status).toBe(422)
    expect((await cancel(invitationId, 'withdrawn', cellId, member)).status).toBe(403)
    expect((await cancel(randomUUID(), 'withdrawn')).status).toBe(404)
    const codesDiffer = await cancel(invitationId, 'codes_differ')
    expect(codesDiffer.status, codesDiffer.text).toBe(200)
    expect(codesDiffer.json?.message).toMatch(/les codes de vérification différaient.*prévenez le ou la DPO/)
    const [row] = await db().select().from(cellInvitations).where(eq(cellInvitations.id, invitationId))
    expect(row?.status).toBe('cancelled')
    expect(await journal('cell.invitation.cancelled')).toContainEqual({ invitationId, reason: 'codes_differ' })
    const again = await cancel(invitationId, 'withdrawn')
    expect(again.status).toBe(409)
    expect(again.json?.error).toMatch(/n’est plus en cours/)
    // The invitee can no longer answer it.
    const invitee = await createAccountFixture(app.runtime, { email, password: 'mot-de-passe-invite-3', displayName: 'Inès Invitée', profession: 'medecin' })
    const answer = await postJson(app, `/api/invitations-cellule/${invitationId}`, { proof: 'B'.repeat(43) }, { cookie: cookieOf(invitee) })
    expect(answer.status).toBe(410)
  })

  it('a removed person invited again and the invitation withdrawn is removed again, not left « invited »', async () => {
    const person = await createAccountFixture(app.runtime, { email: `retour.${randomUUID().slice(0, 8)}@exemple.fr`, password: 'mot-de-passe-retour-3', displayName: 'Rémi Retour', profession: 'infirmier' })
    await db().insert(memberships).values({ cellId, userId: person.userId, role: 'member', status: 'removed', removedAt: new Date() })
    const invitationId = String((await invite(person.email)).json?.invitationId)
    const membership = () => db().select().from(memberships).where(and(eq(memberships.cellId, cellId), eq(memberships.userId, person.userId)))
    expect((await membership())[0]?.status).toBe('invited')
    expect((await cancel(invitationId, 'withdrawn')).status).toBe(200)
    expect((await membership())[0]?.status).toBe('removed')
  })
})

describe('membership notices', () => {
  it('« Mes cellules » tells a removed person what happened until they dismiss it, and lists no cell to open', async () => {
    const person = await createAccountFixture(app.runtime, { email: `avis.${randomUUID().slice(0, 8)}@exemple.fr`, password: 'mot-de-passe-avis-3', displayName: 'Alix Avis', profession: 'infirmier' })
    await db().insert(memberships).values({ cellId, userId: person.userId, role: 'member', status: 'active' })
    await markMembershipRemoved(db(), { cellId, userId: person.userId })
    await noteMembershipChange(db(), { cellId, userId: person.userId, notice: 'removed' })
    const page = await getPage(app, '/cellules', { cookie: cookieOf(person) })
    expect(page.text).toContain('vous a retiré·e de la cellule')
    expect(page.text).not.toContain(`/cellules/${cellId}"`)
    expect((await getPage(app, '/compte', { cookie: cookieOf(person) })).text).toContain('Votre appartenance à une cellule a changé')

    const dismissed = await postForm(app, '/cellules?index', { intent: 'notice-dismissed', cellId }, { cookie: cookieOf(person) })
    expect(dismissed.status, dismissed.text).toBe(200)
    expect((await getPage(app, '/cellules', { cookie: cookieOf(person) })).text).not.toContain('vous a retiré·e')
    const twice = await postForm(app, '/cellules?index', { intent: 'notice-dismissed', cellId }, { cookie: cookieOf(person) })
    expect(twice.status).toBe(409)
    // Someone else's notice cannot be dismissed: there is none of theirs in that cell.
    expect((await postForm(app, '/cellules?index', { intent: 'notice-dismissed', cellId }, { cookie: cookieOf(outsider) })).status).toBe(409)
    expect((await postForm(app, '/cellules?index', { intent: 'notice-dismissed', cellId: 'pas-un-uuid' }, { cookie: cookieOf(person) })).status).toBe(400)
  })
})

describe('roster races', () => {
  it('a change written on a roster someone else changed meanwhile is refused as such (409, roster_changed), not as a chain error', async () => {
    const state = validateRoster({ cellId, links: (await listRosterLinks(db(), cellId)).map(row => row.link) })
    const displayed = { seq: state.securityHeadSeq, hash: state.securityHeadHash }
    const stale = prepareAttestation({ state, displayed, keys: member.keys as UnlockedKeys })
    const first = await postJson(app, `/api/cells/${cellId}/roster`, prepareAttestation({ state, displayed, keys: coordinator.keys as UnlockedKeys }), { cookie: cookieOf(coordinator) })
    expect(first.status, first.text).toBe(200)
    const second = await postJson(app, `/api/cells/${cellId}/roster`, stale, { cookie: cookieOf(member) })
    expect(second.status, second.text).toBe(409)
    expect(second.json?.code).toBe('roster_changed')
    expect(second.json?.error).toBe('Quelqu’un d’autre a modifié le registre entre-temps. Rechargez le registre, vérifiez ce qui a changé, puis recommencez.')
    expect(second.text).not.toMatch(/maillon|attendu/)
  })
})
