import { ByteWriter, bytesEqual, fromBase64Url, toBase64Url } from './encoding.ts'
import { CryptoVerificationError } from './errors.ts'
import { digitsFromHash, generateHumanCode, parseHumanCode } from './human-code.ts'
import { domainHash } from './primitives.ts'
import type { MemberKeys } from './roster-links.ts'

/**
 * In-person invitation (DESIGN §7): the coordinator hands the code over on paper; the
 * newcomer's client proves it knew the code when sending its keys, and both screens
 * show the same short authentication string before the coordinator signs add_member.
 */
export type Invitation = { cellId: string; secret: Uint8Array; code: string }

export function createInvitation({ cellId }: { cellId: string }): Invitation {
  const { secret, code } = generateHumanCode()
  return { cellId, secret, code }
}

function transcript({
  cellId,
  newcomer,
  coordinatorSignPublicKey,
}: {
  cellId: string
  newcomer: MemberKeys
  coordinatorSignPublicKey: Uint8Array
}): Uint8Array {
  return new ByteWriter()
    .string(cellId)
    .string(newcomer.memberId)
    .bytes(newcomer.signPublicKey)
    .bytes(newcomer.boxPublicKey)
    .bytes(coordinatorSignPublicKey)
    .finish()
}

function proofAndSas({ secret, transcriptBytes }: { secret: Uint8Array; transcriptBytes: Uint8Array }) {
  const proof = domainHash({ domain: 'cellule/invitation-proof/v1', parts: [transcriptBytes], key: secret })
  const sas = digitsFromHash({
    hash: domainHash({ domain: 'cellule/invitation-sas/v1', parts: [transcriptBytes], key: secret }),
    digits: 8,
  })
  return { proof, sas }
}

/** Newcomer side: sends `proof` with its keys, shows `sas`. */
export function answerInvitation({
  cellId,
  invitationCode,
  newcomer,
  coordinatorSignPublicKey,
}: {
  cellId: string
  invitationCode: string
  newcomer: MemberKeys
  coordinatorSignPublicKey: Uint8Array
}): { proof: string; sas: string } {
  const { proof, sas } = proofAndSas({
    secret: parseHumanCode(invitationCode),
    transcriptBytes: transcript({ cellId, newcomer, coordinatorSignPublicKey }),
  })
  return { proof: toBase64Url(proof), sas }
}

/** Coordinator side: refuses keys not sent by the code holder, returns the SAS to compare aloud. */
export function checkInvitationAnswer({
  invitation,
  newcomer,
  coordinatorSignPublicKey,
  proof,
}: {
  invitation: Invitation
  newcomer: MemberKeys
  coordinatorSignPublicKey: Uint8Array
  proof: string
}): { sas: string } {
  const expected = proofAndSas({
    secret: invitation.secret,
    transcriptBytes: transcript({ cellId: invitation.cellId, newcomer, coordinatorSignPublicKey }),
  })
  if (!bytesEqual(expected.proof, fromBase64Url(proof))) {
    throw new CryptoVerificationError({ code: 'bad_signature', message: 'Réponse à l’invitation non prouvée : recommencez en personne.' })
  }
  return { sas: expected.sas }
}
