import fc from 'fast-check'

/**
 * Hostile input for the fuzz test (tests/security/fuzz.test.ts). Mostly-valid requests with one
 * thing broken find more than noise: a template valid for the route's zod schema is mutated at one
 * field (wrong type, edge value, near-valid string, missing, extra), or its encoding is broken.
 */

/** A JSON value that is not what a schema expects: every type, edges of numbers, nesting. */
export const wrongTypeValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, true, false, 0, -1, -0, 1.5, -1.5, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 2 ** 31, 2 ** 64, Number.MAX_VALUE, Number.MIN_VALUE, 1e21, [], {}, [null], [[]], { length: 1 }, ''),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer()), { maxKeys: 3 }),
  fc.constant(null).map(() => nested(600)),
)

/** `[[[…]]]`, deep enough to trouble a recursive walker, small enough to stay under the body limit. */
function nested(depth: number): unknown {
  let value: unknown = 'fond'
  for (let level = 0; level < depth; level++) value = [value]
  return value
}

const CONTROL = ['\u0000', '\u0001', '\u0007', '\b', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u2028', '\u2029', '\ufeff', '\u200b', '\u202e']
const LONE_SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff']

/** Strings that break things: control characters, NUL, lone surrogates, long, odd Unicode, injections. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '   \t\n',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udc00y',
    '\uffff\ufffe',
    '\u202egnp.exe',
    '😀🇫🇷',
    'e\u0301\u0301\u0301',
    'null',
    'undefined',
    'NaN',
    'true',
    '0',
    '-1',
    '1e309',
    '9007199254740993',
    '__proto__',
    'constructor',
    '../../../../etc/passwd',
    '%ff%c0%af',
    '<script>alert(1)</script>',
    "' OR '1'='1' --",
    '${7*7}{{7*7}}',
    '\\',
    '"',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(...CONTROL, ...LONE_SURROGATES, 'a', 'é'), minLength: 1, maxLength: 20 }),
  fc.constantFrom(1_000, 5_000, 70_000).map(length => 'a'.repeat(length)),
)

/** A string near a valid one: one character off, cut, doubled, padded, a control character inside. */
export function nearString(valid: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constant(`${valid}x`),
    fc.constant(valid.slice(0, -1)),
    fc.constant(valid.slice(1)),
    fc.constant(valid.toUpperCase()),
    fc.constant(` ${valid} `),
    fc.constant(`${valid}${valid}`),
    fc.constant(valid.repeat(Math.max(2, Math.ceil(5_000 / Math.max(1, valid.length))))),
    fc.constantFrom(...CONTROL, ...LONE_SURROGATES).map(inserted => `${valid.slice(0, 3)}${inserted}${valid.slice(3)}`),
    fc.integer({ min: 0, max: Math.max(0, valid.length - 1) }).chain(at => fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).map(character => `${valid.slice(0, at)}${character}${valid.slice(at + 1)}`)),
  )
}

/** A value near `valid`, of the same JSON type when it can be. */
export function nearValue(valid: unknown, depth = 0): fc.Arbitrary<unknown> {
  if (typeof valid === 'string') return fc.oneof({ arbitrary: nearString(valid), weight: 3 }, { arbitrary: nastyString, weight: 2 }, { arbitrary: wrongTypeValue, weight: 2 })
  if (typeof valid === 'number') {
    return fc.oneof(
      fc.constantFrom(valid + 1, valid - 1, -valid, valid + 0.5, 0, -1, 2 ** 53, -(2 ** 53), 2 ** 31, 1e308),
      fc.constant(String(valid)),
      wrongTypeValue,
    )
  }
  if (Array.isArray(valid)) {
    const item = valid[0] ?? 'a'
    return fc.oneof(
      fc.constant([]),
      fc.constant(Array.from({ length: 21 }, () => item)),
      fc.constant(Array.from({ length: 200 }, () => item)),
      depth < 3 ? nearValue(item, depth + 1).map(mutated => [mutated, ...valid.slice(1)]) : wrongTypeValue,
      fc.constant([...valid, ...valid]),
      wrongTypeValue,
    )
  }
  if (valid && typeof valid === 'object') {
    return depth < 3 ? mutateObject(valid as Record<string, unknown>, depth + 1) : wrongTypeValue
  }
  return fc.oneof(wrongTypeValue, nastyString)
}

const EXTRA_KEYS = ['__proto__', 'constructor', 'prototype', 'intent', 'id', 'userId', 'role', 'isAdmin', '', ' ', '\u0000', 'a'.repeat(300)]

/** The object with one field broken: replaced near-valid, wrong type, removed; or an extra field. */
export function mutateObject(valid: Record<string, unknown>, depth = 0): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid)
  const options: fc.WeightedArbitrary<unknown>[] = [
    { arbitrary: fc.constant(valid), weight: 1 },
    {
      arbitrary: fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ maxLength: 12 })).chain(key =>
        fc.oneof(wrongTypeValue, nastyString).map(value => JSON.parse(`{${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'},${JSON.stringify(valid).slice(1)}`.replace(/,}$/, '}')) as unknown),
      ),
      weight: 1,
    },
  ]
  if (keys.length > 0) {
    options.push(
      { arbitrary: fc.constantFrom(...keys).chain(key => nearValue(valid[key], depth).map(value => ({ ...valid, [key]: value }))), weight: 8 },
      { arbitrary: fc.constantFrom(...keys).map(key => Object.fromEntries(Object.entries(valid).filter(([name]) => name !== key))), weight: 2 },
      { arbitrary: fc.subarray(keys).map(kept => Object.fromEntries(kept.map(key => [key, valid[key]]))), weight: 1 },
    )
  }
  return fc.oneof({ withCrossShrink: true }, ...options)
}

/** Whole bodies that are not an object of the schema at all. */
const notAnObject: fc.Arbitrary<unknown> = fc.oneof(fc.constantFrom<unknown>(null, true, 0, -1, 2 ** 53, 'texte', [], [{}], ''), wrongTypeValue)

export type JsonBody = { kind: 'text'; text: string } | { kind: 'bytes'; hex: string }

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

/** Broken JSON text around a valid body: cut, trailing garbage, BOM, duplicate keys, numbers JSON cannot hold, invalid UTF-8. */
function brokenJsonText(validText: string): fc.Arbitrary<JsonBody> {
  return fc.oneof(
    fc.integer({ min: 0, max: Math.max(0, validText.length - 1) }).map(at => ({ kind: 'text' as const, text: validText.slice(0, at) })),
    fc.constantFrom('{', '[', '"', '{"a":', 'nul', 'tru', '{]', "{'a':1}", '{"a":1,}', '[1,]', '01', '0x10', 'NaN', 'Infinity', '1e999', '-1e999', '\u0000', '', ' ', '\ufeff{}').map(text => ({ kind: 'text' as const, text })),
    fc.constant({ kind: 'text' as const, text: `${validText}garbage` }),
    fc.constant({ kind: 'text' as const, text: `\ufeff${validText}` }),
    fc.constant({ kind: 'text' as const, text: validText.replace(/^\{/, '{"intent":"sign","intent":"publish",') }),
    fc.constant({ kind: 'text' as const, text: validText.replace(/:(\d+)/, ':1e999') }),
    fc.constant({ kind: 'text' as const, text: validText.replace(/:(\d+)/, ':9007199254740993') }),
    fc.constant({ kind: 'text' as const, text: validText.replace(/":"/, '":"\u0000') }),
    fc.constant({ kind: 'text' as const, text: validText.replace(/":"/, '":"\\ud800') }),
    fc.constant({ kind: 'text' as const, text: validText.replace(/":"/, '":"\\u0000') }),
    fc.constant({ kind: 'text' as const, text: `${'['.repeat(20_000)}${']'.repeat(20_000)}` }),
    fc.constant({ kind: 'text' as const, text: `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}` }),
    fc.constant({ kind: 'text' as const, text: `{"x":"${'a'.repeat(70_000)}"}` }),
    fc.constantFrom([0xff], [0xc0, 0xaf], [0xe0, 0xa4], [0xed, 0xa0, 0x80], [0xfe, 0xff]).map(bad => {
      const encoded = new TextEncoder().encode(validText.replace(/":"/, '":"\u0001'))
      const at = encoded.indexOf(0x01)
      const bytes = at < 0 ? new Uint8Array([...encoded, ...bad]) : new Uint8Array([...encoded.slice(0, at), ...bad, ...encoded.slice(at + 1)])
      return { kind: 'bytes' as const, hex: hexOf(bytes) }
    }),
  )
}

/** A JSON body near one of the valid templates: mostly a mutated object, sometimes broken text. */
export function jsonBody(templates: readonly Record<string, unknown>[]): fc.Arbitrary<JsonBody> {
  return fc.constantFrom(...templates).chain(template =>
    fc.oneof(
      { withCrossShrink: true },
      { arbitrary: mutateObject(template).map(value => ({ kind: 'text' as const, text: JSON.stringify(value) ?? 'null' })), weight: 12 },
      { arbitrary: notAnObject.map(value => ({ kind: 'text' as const, text: JSON.stringify(value) ?? 'null' })), weight: 2 },
      { arbitrary: brokenJsonText(JSON.stringify(template)), weight: 3 },
    ),
  )
}

/** A form field's value: a string, or a file where a string is expected (multipart only). */
export type FormValue = string | { file: string; name: string; type: string }
export type FormFields = readonly (readonly [string, FormValue])[]

const formValue: fc.Arbitrary<FormValue> = fc.oneof(
  { arbitrary: nastyString, weight: 5 },
  { arbitrary: fc.record({ file: fc.constantFrom('contenu', '', '\u0000\u0001'), name: fc.constantFrom('a.txt', '', '../../x', '%ff.pdf'), type: fc.constantFrom('text/plain', 'application/octet-stream', '') }), weight: 1 },
)

/** Form fields near a valid form: one value broken, a field removed, repeated or added. */
export function formFields(templates: readonly Record<string, string>[]): fc.Arbitrary<FormFields> {
  return fc.constantFrom(...templates).chain(template => {
    const entries = Object.entries(template)
    const keys = entries.map(([key]) => key)
    const options: fc.WeightedArbitrary<FormFields>[] = [
      { arbitrary: fc.constant(entries), weight: 1 },
      { arbitrary: fc.tuple(fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ maxLength: 12 })), formValue).map(extra => [...entries, extra]), weight: 1 },
      { arbitrary: fc.array(fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 })), { maxLength: 4 }), weight: 1 },
    ]
    if (keys.length > 0) {
      options.push(
        {
          arbitrary: fc.constantFrom(...keys).chain(key =>
            fc.oneof({ arbitrary: nearString(template[key] ?? ''), weight: 3 }, { arbitrary: formValue, weight: 3 }).map(value => entries.map(([name, old]) => [name, name === key ? value : old] as const)),
          ),
          weight: 8,
        },
        { arbitrary: fc.constantFrom(...keys).map(key => entries.filter(([name]) => name !== key)), weight: 2 },
        { arbitrary: fc.constantFrom(...keys).chain(key => nastyString.map(value => [...entries, [key, value] as const])), weight: 1 },
      )
    }
    return fc.oneof(...options)
  })
}

/** How a form travels: urlencoded (valid or with broken escapes), multipart, or something else entirely. */
export type FormEncoding = 'urlencoded' | 'urlencoded-raw-escapes' | 'urlencoded-invalid-utf8' | 'multipart' | 'multipart-wrong-boundary' | 'multipart-invalid-utf8' | 'json' | 'text'

export const formEncoding: fc.Arbitrary<FormEncoding> = fc.oneof(
  { withCrossShrink: true },
  { arbitrary: fc.constant<FormEncoding>('urlencoded'), weight: 6 },
  { arbitrary: fc.constant<FormEncoding>('multipart'), weight: 3 },
  { arbitrary: fc.constantFrom<FormEncoding>('urlencoded-raw-escapes', 'urlencoded-invalid-utf8', 'multipart-wrong-boundary', 'multipart-invalid-utf8', 'json', 'text'), weight: 2 },
)

/** Percent-encodes any string, lone surrogates included (as the invalid UTF-8 a hostile client would send). */
export function percentEncode(value: string): string {
  let out = ''
  for (const character of value) {
    const code = character.codePointAt(0) ?? 0
    if (code >= 0xd800 && code <= 0xdfff) out += `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`
    else out += encodeURIComponent(character)
  }
  return out
}

/** A path segment that is not what the route expects, already encoded for the URL. */
export const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '%ff',
    '%c0%af',
    '%E0%A4%A',
    '%',
    '%zz',
    '%00',
    '%ed%a0%80',
    '%2e%2e',
    '..%2f..%2fetc',
    '%2f',
    'null',
    'undefined',
    '0',
    '-1',
    '1e309',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF',
    '{00000000-0000-4000-8000-000000000000}',
    '00000000-0000-4000-8000-00000000000',
    '00000000-0000-4000-8000-0000000000000',
    '00000000000040008000000000000000',
    'a'.repeat(5_000),
  ),
  nastyString.filter(value => value.length < 2_000).map(percentEncode),
  fc.uuid().map(uuid => uuid.toUpperCase()),
)

/** Session cookies a client may send: none, broken, doubled, huge; or the actor's own. */
export type CookieMode = 'actor' | 'none' | { raw: string } | { withActor: string }

export const cookieMode: fc.Arbitrary<CookieMode> = fc.oneof(
  { withCrossShrink: true },
  { arbitrary: fc.constant<CookieMode>('actor'), weight: 12 },
  { arbitrary: fc.constant<CookieMode>('none'), weight: 1 },
  {
    arbitrary: fc.oneof(
      fc.constantFrom(
        'cellule_session=%E0%A4%A',
        'cellule_session=%ff',
        'cellule_session=%',
        'cellule_session=',
        'cellule_session',
        'cellule_session="non-termine',
        `cellule_session=${'a'.repeat(4_000)}`,
        'cellule_session=a; cellule_session=b',
        '=; ;;=;',
        'cellule_session=%00',
        'cellule_session=..%2F..%2F',
      ),
      // Printable ASCII only: fetch refuses control characters in a header.
      fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map(code => String.fromCharCode(code)), maxLength: 40 }).map(value => `cellule_session=${value.replace(/;/g, '')}`),
    ).map(raw => ({ raw })),
    weight: 3,
  },
  { arbitrary: fc.constantFrom('cellule_session=%E0%A4%A', 'autre=%ff', 'cellule_session=x').map(extra => ({ withActor: extra })), weight: 1 },
)

/** Headers beyond the usual ones; values stay within what HTTP can carry (no NUL, CR or LF). */
export const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { withCrossShrink: true },
  { arbitrary: fc.constant({}), weight: 10 },
  {
    arbitrary: fc.constantFrom<Record<string, string>>(
      { 'X-Forwarded-For': 'pas-une-adresse' },
      { 'X-Forwarded-For': '%ff, 999.999.999.999' },
      { 'X-Forwarded-For': `${'1.'.repeat(2_000)}1` },
      { Accept: 'application/json' },
      { Accept: 'text/x-script' },
      { 'Accept-Language': 'en-US,en;q=0.9' },
      { 'User-Agent': 'Mozilla/5.0 (compatible; Googlebot/2.1)' },
      { 'User-Agent': 'é'.repeat(500) },
      { Origin: 'null' },
      { Origin: 'https://autre-site.exemple' },
      { Referer: '%ff' },
      { 'Content-Encoding': 'gzip' },
      { Range: 'bytes=0-1' },
      { 'If-None-Match': '*' },
    ),
    weight: 2,
  },
)

export const exoticMethod = fc.constantFrom('PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD')

export const contentTypeForJson: fc.Arbitrary<string | undefined> = fc.oneof(
  { withCrossShrink: true },
  { arbitrary: fc.constant('application/json'), weight: 12 },
  {
    arbitrary: fc.constantFrom(
      undefined,
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      'application/json; charset=%ff',
      'application/vnd.api+json',
      'APPLICATION/JSON',
      '*/*',
      ';;;',
      'application/json, text/html',
    ),
    weight: 2,
  },
)
