import { normalizeEmail } from '#crypto/account.ts'
import { utf8 } from '#crypto/encoding.ts'
import { sodium } from '#crypto/sodium.ts'
import { z } from 'zod'
import { raisedPin, type KdfPin } from './kdf-policy.ts'

/**
 * The KDF parameters each account used on this device, in localStorage (decision 021). The entry is
 * named by a hash of the normalized e-mail, so the list of addresses that signed in here is not
 * readable at a glance; call after initCrypto().
 */
const pinSchema = z.object({
  opsLimit: z.number().int().positive(),
  memLimitBytes: z.number().int().positive(),
  saltSeed: z.string().min(1),
})

function storageKey(email: string): string {
  const digest = sodium.crypto_generichash(16, utf8(`cellule/kdf-pin/v1\u0000${normalizeEmail(email)}`), null)
  return `cellule:kdf-pin:${sodium.to_hex(digest)}`
}

function storage(): Storage | null {
  try {
    return window.localStorage
  } catch {
    // Storage disabled (a locked-down profile): no pin, as on a new device.
    return null
  }
}

export function readKdfPin(email: string): KdfPin | null {
  const raw = storage()?.getItem(storageKey(email))
  if (!raw) return null
  try {
    const parsed = pinSchema.safeParse(JSON.parse(raw))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

/** After a login the server accepted, or a password this device just set: never lowers a pin. */
export function rememberKdfPin({ email, served }: { email: string; served: KdfPin }) {
  const pin = readKdfPin(email)
  const next = pin && pin.saltSeed === served.saltSeed ? raisedPin({ served, pin }) : served
  storage()?.setItem(storageKey(email), JSON.stringify(next))
}

/** Only after the administration confirmed an account reset (a reset legitimately changes the seed). */
export function forgetKdfPin(email: string) {
  storage()?.removeItem(storageKey(email))
}
