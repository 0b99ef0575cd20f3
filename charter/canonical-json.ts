/**
 * Canonical JSON: object keys sorted by UTF-16 code units (Array.prototype.sort), no whitespace,
 * strings and numbers as JSON.stringify writes them. Only JSON values are accepted, so that two
 * machines can never disagree about what was hashed.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('Canonical JSON has no representation for a non-finite number')
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) return `[${value.map(item => canonicalJson(item)).join(',')}]`
  if (typeof value === 'object' && isPlainObject(value)) {
    const entries = Object.keys(value)
      .sort()
      .map(key => {
        const item = (value as Record<string, unknown>)[key]
        if (item === undefined) throw new TypeError(`Canonical JSON has no representation for undefined (key ${key})`)
        return `${JSON.stringify(key)}:${canonicalJson(item)}`
      })
    return `{${entries.join(',')}}`
  }
  throw new TypeError(`Canonical JSON accepts only JSON values, not ${typeof value}`)
}

function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}
