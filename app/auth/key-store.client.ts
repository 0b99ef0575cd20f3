import { type IdentityKeys } from '#crypto/identity.ts'

/**
 * Unwrapped keys live in this module's memory only: never in storage, cookies or loader data.
 * A full page reload or logout loses them; `wipeKeys` overwrites them first. No libsodium import
 * here: the layout uses this module, and every page would otherwise load the WebAssembly.
 */
type UnlockedKeys = { userId: string; accountKey: Uint8Array; identity: IdentityKeys }

let unlocked: UnlockedKeys | null = null

export function rememberKeys(keys: UnlockedKeys) {
  wipeKeys()
  unlocked = keys
}

export function unlockedKeys(): UnlockedKeys | null {
  return unlocked
}

export function wipeKeys() {
  if (!unlocked) return
  unlocked.accountKey.fill(0)
  unlocked.identity.signing.secretKey.fill(0)
  unlocked.identity.box.secretKey.fill(0)
  unlocked = null
}
