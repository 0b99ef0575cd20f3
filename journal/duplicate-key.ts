/**
 * Duplicate object keys in a JSON text. JSON.parse silently keeps the last of two equal
 * keys, so a value the verifier never sees could sit in an export next to the one it checks
 * (a forged `occurredAtMs` before the signed one); the text itself must be refused.
 */
export type JsonPath = (string | number)[]
export type DuplicateKey = {
  key: string
  /** Where the object holding the key sits: object keys and array positions from the root. */
  path: JsonPath
}

type Frame = { kind: 'object'; keys: Set<string>; key: string | null; expectingKey: boolean } | { kind: 'array'; index: number }

const QUOTE = 0x22
const BACKSLASH = 0x5c

/** Index of the quote that closes the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1)
  while (end !== -1) {
    let backslashes = 0
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++
    if (backslashes % 2 === 0) return end
    end = text.indexOf('"', end + 1)
  }
  throw new SyntaxError('unterminated string')
}

/**
 * The first duplicate key in document order, at any depth, or undefined. Keys are compared
 * after unescaping, as JSON.parse compares them ("a" and "\u0061" are the same key).
 * `text` must already have passed JSON.parse: this scanner tracks structure, not grammar.
 */
export function findDuplicateKey(text: string): DuplicateKey | undefined {
  const frames: Frame[] = []
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at)
    const top = frames[frames.length - 1]
    if (code === QUOTE) {
      const end = stringEnd(text, at)
      if (top?.kind === 'object' && top.expectingKey) {
        const raw = text.slice(at + 1, end)
        const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw
        if (top.keys.has(key)) return { key, path: frames.slice(0, -1).map((frame) => (frame.kind === 'object' ? frame.key! : frame.index)) }
        top.keys.add(key)
        top.key = key
        top.expectingKey = false
      }
      at = end
      continue
    }
    switch (text[at]) {
      case '{':
        frames.push({ kind: 'object', keys: new Set(), key: null, expectingKey: true })
        break
      case '[':
        frames.push({ kind: 'array', index: 0 })
        break
      case '}':
      case ']':
        frames.pop()
        break
      case ',':
        if (top?.kind === 'object') top.expectingKey = true
        else if (top?.kind === 'array') top.index++
        break
    }
  }
  return undefined
}
