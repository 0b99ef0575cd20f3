import sodium from 'libsodium-wrappers-sumo'

let readyPromise: Promise<void> | undefined

/** Resolves once libsodium's WebAssembly is loaded; call before any other crypto/ function. */
export function initCrypto(): Promise<void> {
  readyPromise ??= sodium.ready.then(() => undefined)
  return readyPromise
}

export { sodium }
