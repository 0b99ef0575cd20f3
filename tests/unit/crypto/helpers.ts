import {
  createCellEpochKey,
  createGenesisLink,
  createRosterLink,
  extendRoster,
  generateIdentityKeys,
  validateRoster,
  type IdentityKeys,
  type MemberRole,
  type RosterPayload,
  type RosterState,
} from '#crypto/index.ts'
import { CryptoError } from '#crypto/errors.ts'
import { expect } from 'vitest'

export type TestMember = { memberId: string; role: MemberRole; identity: IdentityKeys }

export function makeMember({ memberId, role }: { memberId: string; role: MemberRole }): TestMember {
  return { memberId, role, identity: generateIdentityKeys() }
}

export function author(member: TestMember) {
  return { memberId: member.memberId, signSecretKey: member.identity.signing.secretKey }
}

export function recipientOf(member: TestMember) {
  return { memberId: member.memberId, role: member.role, boxPublicKey: member.identity.box.publicKey }
}

export function boxOf(member: TestMember) {
  return { memberId: member.memberId, box: member.identity.box }
}

/** A cell with a founder coordinator and `others` added by them; returns the links and state. */
export function buildCell({ cellId, others }: { cellId: string; others: readonly TestMember[] }) {
  const founder = makeMember({ memberId: 'founder', role: 'coordinator' })
  const links: Uint8Array[] = [
    createGenesisLink({
      cellId,
      founder: {
        memberId: founder.memberId,
        signPublicKey: founder.identity.signing.publicKey,
        signSecretKey: founder.identity.signing.secretKey,
        boxPublicKey: founder.identity.box.publicKey,
      },
      createdAtMs: 1_700_000_000_000,
    }),
  ]
  let state = validateRoster({ cellId, links })
  const append = ({ by, payload }: { by: TestMember; payload: RosterPayload }): Uint8Array => {
    const link = createRosterLink({ state, author: author(by), payload, createdAtMs: 1_700_000_000_000 + links.length })
    state = extendRoster({ state, links: [link] })
    links.push(link)
    return link
  }
  for (const member of others) {
    append({
      by: founder,
      payload: {
        type: 'add_member',
        memberId: member.memberId,
        role: member.role,
        signPublicKey: member.identity.signing.publicKey,
        boxPublicKey: member.identity.box.publicKey,
      },
    })
  }
  return { founder, links, getState: (): RosterState => state, append }
}

/** A rotate_epoch payload with fresh (unused) commitments for CK and IXK. */
export function rotatePayload({ epoch, recipientIds, indexRecipientIds }: { epoch: number; recipientIds: string[]; indexRecipientIds: string[] }): RosterPayload {
  return { type: 'rotate_epoch', epoch, keyCommitment: createCellEpochKey().commitment, recipientIds, indexKeyCommitment: createCellEpochKey().commitment, indexRecipientIds }
}

/** Asserts the call throws one of the library's typed errors (never a raw crash). */
export function expectCryptoError(run: () => unknown, code?: string): void {
  let caught: unknown
  try {
    run()
  } catch (error) {
    caught = error
  }
  expect(caught, 'expected a CryptoError').toBeInstanceOf(CryptoError)
  if (code) expect((caught as { code?: string }).code).toBe(code)
}

export async function expectCryptoErrorAsync(run: () => Promise<unknown>, code?: string): Promise<void> {
  let caught: unknown
  try {
    await run()
  } catch (error) {
    caught = error
  }
  expect(caught, 'expected a CryptoError').toBeInstanceOf(CryptoError)
  if (code) expect((caught as { code?: string }).code).toBe(code)
}

export function flipByte({ bytes, index, mask }: { bytes: Uint8Array; index: number; mask: number }): Uint8Array {
  const copy = bytes.slice()
  copy[index] = (copy[index] as number) ^ (mask & 0xff || 1)
  return copy
}
