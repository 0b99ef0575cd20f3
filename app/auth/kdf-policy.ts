import { KDF_CEILING, KDF_FLOOR } from '#crypto/kdf-limits.ts'

/**
 * What a device remembers of an account's KDF after a successful login, and how it judges what the
 * server serves next time (decision 021). Pure functions: the storage is kdf-pins.client.ts.
 */
export type KdfPin = { opsLimit: number; memLimitBytes: number; saltSeed: string }

export type KdfWeakening = 'memory' | 'passes' | 'salt_seed'

export type PinVerdict = { ok: true } | { ok: false; weakenings: KdfWeakening[] }

/**
 * Lower memory or passes than this device has seen for the account, or another salt seed, is refused
 * before the password is touched: a server that serves the floor again (or a seed of its choosing)
 * would otherwise lower the cost of guessing the password it is about to receive a verifier for.
 */
export function compareWithPin({ served, pin }: { served: KdfPin; pin: KdfPin | null }): PinVerdict {
  if (!pin) return { ok: true }
  const weakenings: KdfWeakening[] = []
  if (served.memLimitBytes < pin.memLimitBytes) weakenings.push('memory')
  if (served.opsLimit < pin.opsLimit) weakenings.push('passes')
  if (served.saltSeed !== pin.saltSeed) weakenings.push('salt_seed')
  return weakenings.length === 0 ? { ok: true } : { ok: false, weakenings }
}

/** The pin after a successful login: never lower than what was pinned (a higher value raises it). */
export function raisedPin({ served, pin }: { served: KdfPin; pin: KdfPin | null }): KdfPin {
  if (!pin || pin.saltSeed !== served.saltSeed) return served
  return { saltSeed: served.saltSeed, opsLimit: Math.max(served.opsLimit, pin.opsLimit), memLimitBytes: Math.max(served.memLimitBytes, pin.memLimitBytes) }
}

/** navigator.deviceMemory (GiB, rounded down by the browser) under which a device is « low-memory ». */
export const LOW_MEMORY_DEVICE_GIB = 2

export type KdfChoice = { opsLimit: number; memLimitBytes: number; lowMemory: boolean }

type Cost = { opsLimit: number; memLimitBytes: number }

const clamp = (value: number, low: number, high: number) => Math.min(Math.max(value, low), high)

/**
 * Parameters for a NEW account (registration, account reset): the platform's default, or the
 * compiled floor on a device that reports little memory or failed to allocate the default. Only new
 * accounts take the floor this way: an existing account never goes down (see below).
 */
export function chooseNewAccountKdf({
  offered,
  deviceMemoryGiB,
  allocationFailed = false,
}: {
  offered: Cost
  deviceMemoryGiB: number | undefined
  allocationFailed?: boolean
}): KdfChoice {
  const opsLimit = clamp(offered.opsLimit, KDF_FLOOR.opsLimit, KDF_CEILING.opsLimit)
  const memLimitBytes = clamp(offered.memLimitBytes, KDF_FLOOR.memLimitBytes, KDF_CEILING.memLimitBytes)
  const lowMemory = allocationFailed || (deviceMemoryGiB !== undefined && deviceMemoryGiB < LOW_MEMORY_DEVICE_GIB)
  if (lowMemory && memLimitBytes > KDF_FLOOR.memLimitBytes) return { opsLimit, memLimitBytes: KDF_FLOOR.memLimitBytes, lowMemory: true }
  return { opsLimit, memLimitBytes, lowMemory: false }
}

/**
 * Parameters for a password change or a recovery: the platform's default where it is higher (the
 * upgrade path of older accounts), never lower than what the account has, so the pins other devices
 * hold stay valid.
 */
export function choosePasswordChangeKdf({ offered, current }: { offered: Cost; current: Cost }): Cost {
  return {
    opsLimit: clamp(Math.max(offered.opsLimit, current.opsLimit), KDF_FLOOR.opsLimit, KDF_CEILING.opsLimit),
    memLimitBytes: clamp(Math.max(offered.memLimitBytes, current.memLimitBytes), KDF_FLOOR.memLimitBytes, KDF_CEILING.memLimitBytes),
  }
}
