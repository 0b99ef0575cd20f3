/**
 * The Argon2id bounds compiled into the client, in a module without libsodium so that forms and
 * schemas can name them without loading the WebAssembly.
 */

/** A server cannot talk us below these (downgrade defence, A6). */
export const KDF_FLOOR = { opsLimit: 3, memLimitBytes: 64 * 1024 * 1024 } as const
/** Upper bound so a hostile server cannot freeze the browser with absurd parameters. */
export const KDF_CEILING = { opsLimit: 16, memLimitBytes: 1024 * 1024 * 1024 } as const
