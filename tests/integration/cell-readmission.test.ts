import { randomUUID } from 'node:crypto'
import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CHARTER } from '#charter/default-charter.ts'
import { charterHash } from '#charter/hash.ts'
import { createAccount } from '#crypto/account.ts'
import { bytesEqual, toBase64Url } from '#crypto/encoding.ts'
import { generateHumanCode } from '#crypto/human-code.ts'
import { answerInvitation } from '#crypto/invitation.ts'
import { deriveRecoveryAuthSecret } from '#crypto/recovery-proof.ts'
import { validateRoster } from '#crypto/roster.ts'
import { openEarlierEpochKeys } from '#crypto/cell-keys.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { DEFAULT_KDF } from '#db/accounts.ts'
import { insertCell } from '#db/cells.ts'
import { createInvitation } from '#db/invitations.ts'
import { cellInvitations, memberships, users } from '#db/schema.ts'
import { checkAnswer, openCurrentCellKey, prepareConfirmation, signReadmission, type InvitationAnswer, type RosterResponse, type UnlockedKeys } from '#app/cells/cell-client.ts'
import { validateRosterForSealing } from '#app/cells/roster-pins-anchor.ts'
import { createUserSession } from '#app/auth/session.server.ts'
import { foundDemoCell } from '#server/demo/founding.ts'
import { createAccountFixture, type AccountFixture } from '#tests/support/account-factory.ts'
import { getPage, postJson, resetThrottles, send } from '#tests/support/account-fixtures.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'

/**
 * Issue 5: a member whose account was reset keeps their membership but not their keys. The cell
 * blocks them until the coordinator re-verifies them in person (SAS) and signs a key change; then the
 * current cell key is sealed to their new keys and nothing of the cell is lost.
 */

let app: InProcessApp
let coordinator: AccountFixture
let member: AccountFixture
let cellId = ''

const cookieOf = (token: string) => `cellule_session=${token}`
const db = () => app.database.handle.db

async function rosterFor(token: string): Promise<RosterResponse> {
  const response = await getPage(app, `/api/cells/${cellId}/roster`, { cookie: cookieOf(token) })
  expect(response.status, response.text).toBe(200)
  return response.json as unknown as RosterResponse
}

beforeAll(async () => {
  app = await startInProcessApp()
  await initCrypto()
  ;[coordinator, member] = await Promise.all([
    createAccountFixture(app.runtime, { email: 'coordination.readmission@ville.fr', password: 'mot-de-passe-coord-readmission', displayName: 'Dr Rose Coordination', profession: 'medecin' }),
    createAccountFixture(app.runtime, { email: 'membre.readmission@ccas.fr', password: 'mot-de-passe-membre-readmission', displayName: 'Rémi Réadmis', profession: 'infirmier' }),
  ])
  const cell = await insertCell(db(), {
    slug: `readmission-${randomUUID().slice(0, 8)}`,
    name: 'Cellule de réadmission',
    communes: ['Aulnay-sous-Bois'],
    hostInstitution: 'Ville d’Aulnay-sous-Bois',
    dpoContact: 'dpo@aulnay.fr',
    createdBy: null,
    charter: DEFAULT_CHARTER,
    charterHash: await charterHash(DEFAULT_CHARTER),
  })
  cellId = cell.id
  expect(await foundDemoCell({ db: db(), cellId, members: [{ ...coordinator.keys, role: 'coordinator' }, { ...member.keys, role: 'member' }] })).toBe(true)
})

afterAll(async () => {
  await app?.close()
})

describe('re-admission of a member whose account was reset', () => {
  it('blocks them, then the SAS, a key change and the current cell key sealed to the new keys give everything back', async () => {
    // Before the reset: the member reads the cell and opens its key.
    expect((await getPage(app, `/cellules/${cellId}/membres`, { cookie: cookieOf(member.sessionToken) })).status).toBe(200)
    const coordinatorRoster = await rosterFor(coordinator.sessionToken)
    const coordinatorState = validateRoster({ cellId, links: coordinatorRoster.links })
    const cellKey = openCurrentCellKey({ state: coordinatorState, blobs: coordinatorRoster.blobs, keys: coordinator.keys as UnlockedKeys })
    const before = openCurrentCellKey({ state: coordinatorState, blobs: (await rosterFor(member.sessionToken)).blobs, keys: member.keys as UnlockedKeys })
    expect(bytesEqual(before.cellKey, cellKey.cellKey)).toBe(true)

    // The account reset: new keys made in the browser, sent over the registration endpoint.
    const reset = await createInvitation(db(), { email: member.email, purpose: 'account_reset' })
    const [invitation] = await db().query.invitations.findMany({ where: (table, { eq: equals }) => equals(table.email, member.email), orderBy: (table, { desc }) => [desc(table.createdAt)], limit: 1 })
    if (!invitation) throw new Error('no reset invitation')
    expect(invitation.userId).toBe(member.userId)
    const fresh = createAccount({
      userId: member.userId,
      email: member.email,
      password: 'nouveau-mot-de-passe-readmission',
      kdfParams: { algorithm: 'argon2id13', opsLimit: DEFAULT_KDF.opsLimit, memLimitBytes: DEFAULT_KDF.memLimitBytes, saltSeed: invitation.saltSeed },
    })
    await resetThrottles(app)
    const registered = await postJson(app, '/api/auth/register', {
      token: reset.token,
      displayName: member.displayName,
      profession: 'infirmier',
      rppsNumber: '10001234565',
      authSecret: toBase64Url(fresh.authSecret),
      recoveryAuthSecret: toBase64Url(deriveRecoveryAuthSecret(fresh.recoveryCode.secret)),
      wrappedAccountKey: toBase64Url(fresh.wrappedAccountKeyByPassword),
      recoveryWrappedAccountKey: toBase64Url(fresh.wrappedAccountKeyByRecovery),
      identityPublic: toBase64Url(fresh.identityPublic),
      wrappedIdentitySecrets: toBase64Url(fresh.wrappedIdentitySecrets),
    })
    expect(registered.status, registered.text).toBe(200)
    const newKeys = { userId: member.userId, accountKey: fresh.accountKey, identity: fresh.identity } as UnlockedKeys
    // The old session died with the reset; the member enrols the second factor again and logs in.
    expect((await getPage(app, `/cellules/${cellId}/membres`, { cookie: cookieOf(member.sessionToken) })).status).not.toBe(200)
    await db().update(users).set({ totpSecret: 'JBSWY3DPEHPK3PXP', totpEnabledAt: new Date(), totpLastStep: 0 }).where(eq(users.id, member.userId))
    const { token } = await createUserSession(db(), { userId: member.userId, mfaVerified: true, userAgent: 'readmission test' })

    // Blocked in the cell until re-admitted: members page, roster, keys.
    const blocked = await getPage(app, `/cellules/${cellId}/membres`, { cookie: cookieOf(token) })
    expect(blocked.status).toBe(403)
    expect(blocked.text).toMatch(/réadm|réinitialisé/i)
    const blockedKeys = await getPage(app, `/api/cells/${cellId}/roster`, { cookie: cookieOf(token) })
    expect(blockedKeys.json?.blobs ?? []).toEqual([])
    const [membership] = await db().select().from(memberships).where(and(eq(memberships.cellId, cellId), eq(memberships.userId, member.userId)))
    expect(membership?.status).toBe('active')

    // The coordinator invites them again: a re-admission, same role.
    await resetThrottles(app)
    const invited = await postJson(app, `/api/cells/${cellId}/invitations`, { email: member.email, role: 'associate' }, { cookie: cookieOf(coordinator.sessionToken) })
    expect(invited.status, invited.text).toBe(200)
    expect(invited.json?.kind).toBe('readmission')
    const invitationId = String(invited.json?.invitationId)
    const [readmission] = await db().select().from(cellInvitations).where(eq(cellInvitations.id, invitationId))
    expect(readmission?.role).toBe('member')

    // In person: the code goes from the coordinator to the member, who answers with a proof over their new keys.
    const { code } = generateHumanCode()
    const newcomer = { memberId: member.userId, signPublicKey: fresh.identity.signing.publicKey, boxPublicKey: fresh.identity.box.publicKey }
    const answer = answerInvitation({ cellId, invitationCode: code, newcomer, coordinatorSignPublicKey: coordinator.keys.identity.signing.publicKey })
    await resetThrottles(app)
    // Without the new keys' signature over the old ones, a re-admission answer is refused (review §1e).
    const unsigned = await postJson(app, `/api/invitations-cellule/${invitationId}`, { proof: answer.proof }, { cookie: cookieOf(token) })
    expect(unsigned.status, unsigned.text).toBe(422)
    const keyChangeSignature = await signReadmission({
      cellId,
      keys: newKeys,
      previous: { signPublicKey: toBase64Url(member.keys.identity.signing.publicKey), boxPublicKey: toBase64Url(member.keys.identity.box.publicKey) },
    })
    const answered = await postJson(app, `/api/invitations-cellule/${invitationId}`, { proof: answer.proof, keyChangeSignature }, { cookie: cookieOf(token) })
    expect(answered.status, answered.text).toBe(200)

    // The coordinator's browser checks the proof with the code and shows the same SAS.
    const status = await getPage(app, `/api/invitations-cellule/${invitationId}`, { cookie: cookieOf(coordinator.sessionToken) })
    expect(status.status, status.text).toBe(200)
    expect(status.json?.kind).toBe('readmission')
    const checked = checkAnswer({ cellId, code, answer: status.json?.answer as InvitationAnswer, keys: coordinator.keys as UnlockedKeys })
    expect(checked.sas).toBe(answer.sas)
    // A wrong code would not match (the proof binds the keys to the code).
    expect(() => checkAnswer({ cellId, code: generateHumanCode().code, answer: status.json?.answer as InvitationAnswer, keys: coordinator.keys as UnlockedKeys })).toThrow()

    // Confirmation: the self-signed key_change, and the rotation it requires (the old box key may be lost).
    const current = await rosterFor(coordinator.sessionToken)
    const state = validateRosterForSealing({ cellId, links: current.links })
    const confirmation = prepareConfirmation({ state, blobs: current.blobs, keys: coordinator.keys as UnlockedKeys, newcomer: checked.newcomer, role: 'member', kind: 'readmission' })
    await resetThrottles(app)
    const confirmed = await postJson(app, `/api/cells/${cellId}/invitations/${invitationId}/confirm`, confirmation, { cookie: cookieOf(coordinator.sessionToken) })
    expect(confirmed.status, confirmed.text).toBe(200)

    // Access is back; the new keys open the new epoch's cell key, and through its chain the old one: nothing lost.
    expect((await getPage(app, `/cellules/${cellId}/membres`, { cookie: cookieOf(token) })).status).toBe(200)
    expect((await getPage(app, `/cellules/${cellId}`, { cookie: cookieOf(token) })).status).toBe(200)
    const after = await rosterFor(token)
    const afterState = validateRoster({ cellId, links: after.links })
    const rosterMember = afterState.members.get(member.userId)
    expect(rosterMember?.active).toBe(true)
    expect(rosterMember && bytesEqual(rosterMember.signPublicKey, fresh.identity.signing.publicKey)).toBe(true)
    expect(rosterMember?.signKeys).toHaveLength(2)
    expect(rosterMember?.signKeys[0]?.untilSeq).toBeDefined()
    const reopened = openCurrentCellKey({ state: afterState, blobs: after.blobs, keys: newKeys })
    expect(reopened.epoch).toBe(cellKey.epoch + 1)
    const chained = after.blobs.find(blob => blob.kind === 'previous_epoch' && blob.epoch === reopened.epoch)
    const earlier = openEarlierEpochKeys({ cellId, epoch: reopened.epoch, cellKey: reopened.cellKey, chain: new Map([[reopened.epoch, chained?.blob ?? '']]), downToEpoch: cellKey.epoch })
    expect(bytesEqual(earlier.get(cellKey.epoch) ?? new Uint8Array(0), cellKey.cellKey)).toBe(true)
    // The old keys open nothing any more in the eyes of the roster.
    expect(() => openCurrentCellKey({ state: afterState, blobs: after.blobs, keys: member.keys as UnlockedKeys })).toThrow()

    // The invitation is spent: confirming again is refused.
    await resetThrottles(app)
    const again = await send(app, `/api/cells/${cellId}/invitations/${invitationId}/confirm`, { body: JSON.stringify(confirmation), cookie: cookieOf(coordinator.sessionToken), headers: { 'Content-Type': 'application/json', Origin: app.url } })
    expect(again.status).toBeGreaterThanOrEqual(400)
    expect(again.status).toBeLessThan(500)
  })
})
