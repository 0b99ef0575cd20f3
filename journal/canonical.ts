/**
 * Canonical JSON (the RFC 8785 subset the log needs): object keys sorted by UTF-16 code
 * units, no whitespace, safe integers only, strings escaped as JSON.stringify does.
 * Floats are refused rather than canonicalised, so no number formatting ambiguity exists.
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
      // Lone surrogates have no UTF-8 encoding (isWellFormed: ES2024, in Node ≥ 20; a regex per string cost more).
      if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) throw new TypeError('canonical JSON: lone surrogate in a string')
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
