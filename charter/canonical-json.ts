/**
 * The one canonical JSON of Cellule (charter hashes, journal leaves and detail commitments): the
 * RFC 8785 subset we need. Object keys sorted by UTF-16 code units (Array.prototype.sort), no
 * whitespace, strings escaped as JSON.stringify does, numbers limited to safe integers (-0 is
 * written 0). Floats, lone surrogates (no UTF-8 encoding), undefined, bigints and class instances
 * are refused rather than normalised, so that two machines can never disagree about what was
 * hashed. Universal: runs in Node and in the browser (charter hashes are computed in both).
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError(`canonical JSON: only safe integers are allowed (got ${String(value)})`)
      // -0 and 0 must encode the same.
      return value === 0 ? '0' : String(value)
    case 'string':
      if (!isWellFormed(value)) throw new TypeError('canonical JSON: lone surrogate in a string')
      return JSON.stringify(value)
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`
      const prototype = Object.getPrototypeOf(value) as unknown
      if (prototype !== Object.prototype && prototype !== null) throw new TypeError('canonical JSON: only plain objects are allowed')
      const record = value as Record<string, unknown>
      const keys = Object.keys(record).sort()
      return `{${keys
        .map((key) => {
          if (record[key] === undefined) throw new TypeError(`canonical JSON: undefined value for key ${JSON.stringify(key)}`)
          return `${canonicalJson(key)}:${canonicalJson(record[key])}`
        })
        .join(',')}}`
    }
    case 'undefined':
    case 'bigint':
    case 'function':
    case 'symbol':
      throw new TypeError(`canonical JSON: ${typeof value} is not a JSON value`)
  }
  // TypeScript does not narrow `typeof` switches to never; every case above returns or throws.
  throw new TypeError('canonical JSON: unreachable')
}

type MaybeWellFormed = string & { isWellFormed?: () => boolean }

/** No lone surrogate. String.prototype.isWellFormed (ES2024: Node ≥ 20, recent browsers) is the fast path; a regex per string cost more in the journal's hot path. */
export function isWellFormed(text: string): boolean {
  const native = (text as MaybeWellFormed).isWellFormed
  if (native) return native.call(text)
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at)
    if (code < 0xd800 || code > 0xdfff) continue
    const next = text.charCodeAt(at + 1)
    if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return false
    at++
  }
  return true
}
