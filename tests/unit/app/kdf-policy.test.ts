import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { chooseNewAccountKdf, choosePasswordChangeKdf, compareWithPin, LOW_MEMORY_DEVICE_GIB, raisedPin, type KdfPin } from '#app/auth/kdf-policy.ts'
import { KDF_CEILING, KDF_FLOOR } from '#crypto/kdf-limits.ts'

/** Decision 021: what a device pins of an account's KDF, and the parameters a new password takes. */

const MIB = 1024 * 1024
const SEED = 'c2VlZC1kZS1zZWwtZGUtMzItb2N0ZXRzLXBvdXItbGUtdGVzdA'
const pin: KdfPin = { opsLimit: 3, memLimitBytes: 128 * MIB, saltSeed: SEED }

describe('compareWithPin', () => {
  it('accepts anything on a device that has no pin for the account', () => {
    expect(compareWithPin({ served: { ...pin, memLimitBytes: KDF_FLOOR.memLimitBytes }, pin: null })).toEqual({ ok: true })
  })

  it('accepts the pinned parameters, and stronger ones', () => {
    expect(compareWithPin({ served: pin, pin })).toEqual({ ok: true })
    expect(compareWithPin({ served: { ...pin, opsLimit: 4, memLimitBytes: 256 * MIB }, pin })).toEqual({ ok: true })
  })

  it('names each way the served parameters are weaker: memory, passes, another salt seed', () => {
    expect(compareWithPin({ served: { ...pin, memLimitBytes: 64 * MIB }, pin })).toEqual({ ok: false, weakenings: ['memory'] })
    expect(compareWithPin({ served: { ...pin, opsLimit: 2 }, pin })).toEqual({ ok: false, weakenings: ['passes'] })
    expect(compareWithPin({ served: { ...pin, saltSeed: `${SEED.slice(0, -1)}B` }, pin })).toEqual({ ok: false, weakenings: ['salt_seed'] })
    expect(compareWithPin({ served: { opsLimit: 1, memLimitBytes: MIB, saltSeed: 'autre' }, pin })).toEqual({ ok: false, weakenings: ['memory', 'passes', 'salt_seed'] })
  })

  it('more memory does not buy fewer passes (each is compared on its own)', () => {
    expect(compareWithPin({ served: { ...pin, opsLimit: 2, memLimitBytes: 1024 * MIB }, pin })).toEqual({ ok: false, weakenings: ['passes'] })
  })

  it('a pin only rises: after any accepted login, the pin is at least what it was and at least what was served', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 1024 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 1024 }), (opsA, memA, opsB, memB) => {
        const before: KdfPin = { opsLimit: opsA, memLimitBytes: memA * MIB, saltSeed: SEED }
        const served: KdfPin = { opsLimit: opsB, memLimitBytes: memB * MIB, saltSeed: SEED }
        const after = raisedPin({ served, pin: before })
        expect(after.opsLimit).toBe(Math.max(opsA, opsB))
        expect(after.memLimitBytes).toBe(Math.max(memA, memB) * MIB)
        expect(compareWithPin({ served: after, pin: before }).ok).toBe(true)
      }),
    )
  })

  it('a new salt seed (an account reset done on this device) replaces the pin', () => {
    const served: KdfPin = { opsLimit: 3, memLimitBytes: 64 * MIB, saltSeed: 'nouvelle-graine' }
    expect(raisedPin({ served, pin })).toEqual(served)
  })
})

describe('chooseNewAccountKdf: the default, or the floor on a low-memory device (new accounts only)', () => {
  const offered = { opsLimit: 3, memLimitBytes: 256 * MIB }

  it('takes the offered default where memory is enough or unknown', () => {
    expect(chooseNewAccountKdf({ offered, deviceMemoryGiB: 8 })).toEqual({ ...offered, lowMemory: false })
    expect(chooseNewAccountKdf({ offered, deviceMemoryGiB: undefined })).toEqual({ ...offered, lowMemory: false })
  })

  it('falls back to the compiled floor when the device reports little memory or the allocation failed', () => {
    expect(chooseNewAccountKdf({ offered, deviceMemoryGiB: LOW_MEMORY_DEVICE_GIB / 2 })).toEqual({ opsLimit: 3, memLimitBytes: KDF_FLOOR.memLimitBytes, lowMemory: true })
    expect(chooseNewAccountKdf({ offered, deviceMemoryGiB: 8, allocationFailed: true })).toEqual({ opsLimit: 3, memLimitBytes: KDF_FLOOR.memLimitBytes, lowMemory: true })
  })

  it('never goes below the floor nor above the ceiling, whatever the server offers', () => {
    expect(chooseNewAccountKdf({ offered: { opsLimit: 1, memLimitBytes: MIB }, deviceMemoryGiB: 8 })).toEqual({ ...KDF_FLOOR, lowMemory: false })
    expect(chooseNewAccountKdf({ offered: { opsLimit: 99, memLimitBytes: 8192 * MIB }, deviceMemoryGiB: 8 })).toEqual({ ...KDF_CEILING, lowMemory: false })
  })

  it('at the floor already, a low-memory device changes nothing', () => {
    expect(chooseNewAccountKdf({ offered: KDF_FLOOR, deviceMemoryGiB: 0.5 })).toEqual({ ...KDF_FLOOR, lowMemory: false })
  })
})

describe('choosePasswordChangeKdf: the upgrade path, never a step down', () => {
  it('raises an older account to the default, and keeps an account above the default where it is', () => {
    expect(choosePasswordChangeKdf({ offered: { opsLimit: 3, memLimitBytes: 128 * MIB }, current: KDF_FLOOR })).toEqual({ opsLimit: 3, memLimitBytes: 128 * MIB })
    expect(choosePasswordChangeKdf({ offered: KDF_FLOOR, current: { opsLimit: 4, memLimitBytes: 256 * MIB } })).toEqual({ opsLimit: 4, memLimitBytes: 256 * MIB })
  })
})
