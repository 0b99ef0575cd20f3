import { bytesEqual, fromBase64Url } from '#crypto/encoding.ts'
import { openIdentityPublic, type IdentityPublic } from '#crypto/identity.ts'
import { verifySignature } from '#crypto/primitives.ts'
import { type MemberKeys } from '#crypto/roster-links.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { charterSigningMessage } from '#charter/hash.ts'
import { findUserById } from '#db/accounts.ts'
import { type Database } from '#db/database.ts'
import { HttpError } from '#app/access/http-error.ts'


/** The public identity the account registered (self-signed); the server checks roster links against it. */
export async function registeredIdentity(db: Pick<Database, 'select'>, userId: string): Promise<IdentityPublic> {
  await initCrypto()
  const user = await findUserById(db, userId)
  if (!user) throw new HttpError(404, 'Compte introuvable.')
  return openIdentityPublic(user.identityPublic)
}

export function sameKeys({ identity, keys }: { identity: IdentityPublic; keys: MemberKeys }): boolean {
  return identity.userId === keys.memberId && bytesEqual(identity.signPublicKey, keys.signPublicKey) && bytesEqual(identity.boxPublicKey, keys.boxPublicKey)
}


/** A charter signature is Ed25519 over `charterSigningMessage`, by the member's registered identity key. */
export function checkCharterSignature({
  identity,
  cellId,
  version,
  hash,
  signature,
}: {
  identity: IdentityPublic
  cellId: string
  version: number
  hash: string
  signature: string
}): void {
  let valid = false
  try {
    valid = verifySignature({ signature: fromBase64Url(signature), message: charterSigningMessage({ cellId, version, hash }), publicKey: identity.signPublicKey })
  } catch {
    valid = false
  }
  if (!valid) throw new HttpError(422, 'Signature de la charte invalide : elle ne correspond pas à votre clé d’identité.')
}
