import { bytesEqual, fromBase64Url } from '#crypto/encoding.ts'
import { openIdentityPublic, type IdentityPublic } from '#crypto/identity.ts'
import { parseIntakePublic } from '#crypto/intake.ts'
import { CryptoError } from '#crypto/errors.ts'
import { type RosterState } from '#crypto/roster.ts'
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


/** The intake bundle stored for the flyer must be the one the roster's publish_intake_key link names. */
export function checkIntakeMatchesRoster({ bundle, state, cellId }: { bundle: string; state: RosterState; cellId: string }): void {
  try {
    const intake = parseIntakePublic(bundle)
    const published = state.intakeKeys.get(intake.index)
    if (
      intake.cellId !== cellId ||
      !published ||
      !bytesEqual(published.boxPublicKey, intake.boxPublicKey) ||
      !bytesEqual(published.signPublicKey, intake.signPublicKey)
    ) {
      throw new HttpError(422, 'La clé de saisine envoyée diffère de celle publiée au registre.')
    }
  } catch (error) {
    if (error instanceof CryptoError) throw new HttpError(422, `Clé de saisine illisible : ${error.message}`)
    throw error
  }
}
