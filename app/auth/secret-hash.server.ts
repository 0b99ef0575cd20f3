import { initCrypto, sodium } from '#crypto/sodium.ts'

/**
 * The server stores an Argon2id hash of the authSecret (and of the recovery proof). Those are already
 * 256-bit derived secrets, so interactive parameters suffice: the hash stops a database thief from
 * replaying them, the password's own Argon2id (in the browser) stops guessing.
 */
export async function hashSecret(secret: Uint8Array): Promise<string> {
  await initCrypto()
  return sodium.crypto_pwhash_str(secret, sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE, sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE)
}

let dummyHash: string | undefined

/** Constant work whether or not the account exists: unknown accounts are checked against a dummy hash. */
export async function verifySecret({ hash, secret }: { hash: string | undefined; secret: Uint8Array }): Promise<boolean> {
  await initCrypto()
  dummyHash ??= await hashSecret(sodium.randombytes_buf(32))
  const matches = sodium.crypto_pwhash_str_verify(hash ?? dummyHash, secret)
  return hash !== undefined && matches
}
