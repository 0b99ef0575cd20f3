/**
 * Test-only entry of crypto/: deterministic randomness for golden vectors. Nothing under app/,
 * db/, server/, scripts/, charter/, journal/ or crypto/ may import this module (eslint.config.js,
 * checked by tests/unit/crypto/testing-entry.test.ts); the public API has no nonce, ephemeral or
 * randomness parameter, so production code cannot pin a nonce by mistake.
 */
import { ByteWriter, concatBytes, utf8 } from './encoding.ts'
import { CryptoPolicyError } from './errors.ts'
import { __swapRandomSourceForTesting, type RandomSource } from './primitives.ts'
import { sodium } from './sodium.ts'

const BLOCK_BYTES = 64

/** BLAKE2b-512 keyed by the seed over a block counter: a reproducible stream, never a secret one. */
function deterministicSource(seed: Uint8Array): RandomSource {
  const key = sodium.crypto_generichash(32, concatBytes([utf8('cellule/test-randomness/v1'), seed]), null)
  let counter = 0
  let pending: Uint8Array = new Uint8Array(0)
  return (length) => {
    while (pending.length < length) {
      const block = sodium.crypto_generichash(BLOCK_BYTES, new ByteWriter().u64(counter++).finish(), key)
      pending = concatBytes([pending, block])
    }
    const out = pending.slice(0, length)
    pending = pending.slice(length)
    return out
  }
}

/**
 * Runs `fn` with every random draw of crypto/ (keys, nonces, key pairs, sealed-box ephemerals)
 * taken from a stream seeded by `seed`, then restores the system source. Synchronous only: an
 * async `fn` would leave the deterministic source in place across awaits.
 * libsodium's secretstream draws its header internally: attachments stay random.
 */
export function withDeterministicRandomness<Result>(seed: Uint8Array | string, fn: () => Result): Result {
  const restore = __swapRandomSourceForTesting(deterministicSource(typeof seed === 'string' ? utf8(seed) : seed))
  let result: Result
  try {
    result = fn()
  } finally {
    restore()
  }
  if (result instanceof Promise) {
    throw new CryptoPolicyError({ code: 'invalid_input', message: 'Aléa déterministe : la fonction doit être synchrone.' })
  }
  return result
}
