import { decode } from 'turbo-stream'

/**
 * What the fuzz test (tests/security/fuzz.test.ts) demands of every answer, whatever was sent:
 * no 5xx, no stack trace or server path in the body, no English in what a person reads, and no
 * error-level line in the server's log.
 */

export type Violation = { kind: '5xx' | 'stack' | 'english' | 'log-error'; detail: string }

export type Observed = {
  status: number
  contentType: string
  body: string
  /** The server's log lines written while the request was handled. */
  logLines: string[]
}

/** Traces and paths that only the server should know. Checked over the whole body, whatever its type. */
const STACK_PATTERNS: readonly { name: string; pattern: RegExp }[] = [
  { name: 'stack frame', pattern: /(?:^|\n|<br\s*\/?>|\\n)(?:\s|&nbsp;)*at [^\s(]+ \(|(?:\s|&nbsp;){2,}at (?:[\w.$<>[\]]+ )?\(?(?:file:|node:|\/|<anonymous>)/ },
  { name: 'node_modules', pattern: /node_modules/ },
  { name: 'project path', pattern: /\/work\// },
  { name: 'absolute path', pattern: /(?:^|[\s"'(=])(?:file:\/\/)?\/(?:home|root|usr|opt|srv|var|tmp|private|Users|nix|proc)\/[\w.-]+\/|[A-Z]:\\[\w.-]+\\/ },
  { name: 'Error:', pattern: /\b(?:[A-Z][A-Za-z]*)?Error: / },
  { name: 'error class', pattern: /\b(?:TypeError|RangeError|SyntaxError|URIError|ReferenceError|ZodError|DrizzleError|PGliteError|DatabaseError)\b/ },
]

/** Letters and digits of any script: word boundaries that do not cut French words (`\b` treats é as a boundary). */
const word = (text: string) => new RegExp(`(?<![\\p{L}\\p{N}_])(?:${text})(?![\\p{L}\\p{N}_])`, 'u')
const wordCase = (text: string) => new RegExp(`(?<![\\p{L}\\p{N}_])(?:${text})(?![\\p{L}\\p{N}_])`, 'iu')

/**
 * English as zod, Express, Remix, Node and HTTP write it, and the commonest English words. None of
 * them is a French word (`invalide`, `requis`, `attendu`, `reçu`, `erreur` do not match).
 */
export const ENGLISH_PATTERNS: readonly RegExp[] = [
  // zod 3 default messages
  word('Required'),
  wordCase('Expected'),
  wordCase('received'),
  wordCase('Invalid'),
  word('String must contain'),
  word('Number must be'),
  word('Array must contain'),
  word('Unrecognized key\\(s\\)'),
  /character\(s\)|element\(s\)/,
  wordCase('must (?:be|contain|have|match|start|end)'),
  wordCase('should (?:be|have|contain)'),
  wordCase('greater than|less than|at least|at most|or equal to'),
  wordCase('too (?:small|big|long|short|large)'),
  // HTTP reason phrases and framework texts
  wordCase('Unexpected'),
  wordCase('not found'),
  wordCase('Internal Server Error'),
  wordCase('Bad Request'),
  wordCase('Method Not Allowed'),
  wordCase('Not Allowed'),
  word('Forbidden'),
  word('Unauthorized'),
  wordCase('Too Many Requests'),
  wordCase('Payload Too Large|Request Entity Too Large'),
  wordCase('Unsupported Media Type'),
  wordCase('Service Unavailable'),
  word('Cannot (?:GET|POST|PUT|DELETE|PATCH|read|set)'),
  wordCase('No route matches'),
  wordCase('did not provide'),
  wordCase('You made a'),
  wordCase('Failed to'),
  wordCase('URI malformed'),
  wordCase('is not (?:a|an|valid|defined|allowed|supported)'),
  word('Warning'),
  word('[Ee]rror'),
  // the commonest English words, never French
  wordCase('the|and|with|your|you|please|this|that|cannot|could not|failed|unknown|missing|value|should|which'),
  /\[object Object\]/,
  word('undefined'),
]

export function englishIn(text: string): string[] {
  const found: string[] = []
  for (const pattern of ENGLISH_PATTERNS) {
    const match = pattern.exec(text)
    if (match) found.push(match[0])
  }
  return found
}

/** Up to `radius` characters each side of a match, on one line: what to look for in the body. */
function around(text: string, index: number, radius = 70): string {
  return text
    .slice(Math.max(0, index - radius), index + radius)
    .replace(/\s+/g, ' ')
    .trim()
}

export function stackIn(body: string): string[] {
  return STACK_PATTERNS.flatMap(({ name, pattern }) => {
    const match = pattern.exec(body)
    return match ? [`${name} in …${JSON.stringify(around(body, match.index))}…`] : []
  })
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'", '#x27': "'" }

/** What a person reads on an HTML page: the text outside tags, scripts and styles, entities decoded. */
export function visibleText(html: string): string {
  return html
    .replace(/<script\b[\s\S]*?<\/script>/gi, ' ')
    .replace(/<style\b[\s\S]*?<\/style>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (entity, name: string) => {
      if (ENTITIES[name]) return ENTITIES[name]
      if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16))
      if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)))
      return entity
    })
    .replace(/\s+/g, ' ')
    .trim()
}

/** Fields of a JSON answer or of route data that carry a message for a person. */
const MESSAGE_KEYS = new Set(['error', 'errors', 'fieldErrors', 'formErrors', 'filterError', 'message', 'statusText'])

/** Every string under a message key, at any depth (the values of `fieldErrors`, not its field names). */
export function messagesIn(value: unknown, underMessageKey = false, depth = 0): string[] {
  if (depth > 50) return []
  if (typeof value === 'string') return underMessageKey ? [value] : []
  if (value instanceof Error) return [value.message]
  if (Array.isArray(value)) return value.flatMap(item => messagesIn(item, underMessageKey, depth + 1))
  if (value && typeof value === 'object') {
    const typed = value as { __plugin?: string; values?: unknown[] }
    if (typed.__plugin === 'ErrorResponse') {
      // [data, status, statusText]: what Remix renders for a thrown Response.
      const [data, , statusText] = typed.values ?? []
      return [...messagesIn(data, true, depth + 1), ...(typeof statusText === 'string' && statusText ? [statusText] : [])]
    }
    if (typed.__plugin === 'SanitizedError') return [String(typed.values?.[1] ?? '')]
    return Object.entries(value).flatMap(([key, inner]) => messagesIn(inner, underMessageKey || MESSAGE_KEYS.has(key), depth + 1))
  }
  return []
}

/** A single-fetch (`.data`) answer, decoded as Remix's client decodes it; its custom types kept as `{ __plugin, values }`. */
export async function decodeTurboStream(body: string): Promise<unknown> {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(body))
      controller.close()
    },
  })
  const decoded = await decode(stream, { plugins: [(type: string, ...values: unknown[]) => ({ value: { __plugin: type, values } })] })
  await decoded.done.catch(() => undefined)
  return decoded.value
}

/** The human-readable messages of an answer, by content type. */
export async function readableMessages({ status, contentType, body }: Observed): Promise<string[]> {
  if (body.trim() === '') return []
  if (contentType.includes('json')) {
    try {
      return messagesIn(JSON.parse(body))
    } catch {
      return [body]
    }
  }
  if (contentType.includes('text/x-script') || contentType.includes('turbo-stream')) {
    try {
      return messagesIn(await decodeTurboStream(body))
    } catch {
      return [`(undecodable single-fetch answer) ${body.slice(0, 200)}`]
    }
  }
  if (contentType.includes('html')) {
    const messages = /<html[^>]*\blang="en/i.test(body) ? ['<html lang="en">'] : []
    // A page's own content is product text; on an error page everything a person reads is the error.
    if (status >= 400) messages.push(visibleText(body))
    return messages
  }
  // text/plain and anything else is read as it is.
  return [body]
}

function logLevel(line: string): number {
  try {
    return Number((JSON.parse(line) as { level?: number }).level ?? 0)
  } catch {
    return 0
  }
}

/** Error-level (pino 50) and fatal lines, shortened to their message and error name. */
export function errorLogLines(lines: string[]): string[] {
  return lines
    .filter(line => logLevel(line) >= 50)
    .map(line => {
      const parsed = JSON.parse(line) as { msg?: string; error?: { name?: string; message?: string; value?: unknown }; err?: { message?: string } }
      const error = parsed.error ?? parsed.err
      const errorText = error ? ` — ${'name' in (error as object) ? `${(error as { name?: string }).name}: ` : ''}${error.message ?? JSON.stringify(error)}` : ''
      return `${parsed.msg ?? ''}${errorText}`.slice(0, 240)
    })
}

export async function violationsOf(observed: Observed): Promise<Violation[]> {
  const violations: Violation[] = []
  if (observed.status >= 500) violations.push({ kind: '5xx', detail: `HTTP ${observed.status}` })
  for (const found of stackIn(observed.body)) violations.push({ kind: 'stack', detail: found })
  for (const message of await readableMessages(observed)) {
    const english = englishIn(message)
    if (english.length === 0) continue
    const first = english[0] ?? ''
    const shown = message.length <= 200 ? message : `…${around(message, Math.max(0, message.indexOf(first)), 90)}…`
    violations.push({ kind: 'english', detail: `${JSON.stringify(english)} in ${JSON.stringify(shown)}` })
  }
  for (const line of errorLogLines(observed.logLines)) violations.push({ kind: 'log-error', detail: line })
  return violations
}
