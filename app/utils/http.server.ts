import { type z } from 'zod'
import { HttpError, type FieldErrors } from '#app/access/http-error.ts'

export type { FieldErrors }

/** JSON and form bodies alike: ciphertext and forms here are small; files will have their own route. */
const MAX_JSON_BYTES = 64 * 1024

/**
 * After a 413, up to this many bytes of the rest are read and thrown away, in the background, so a
 * client that sent a somewhat large form receives the answer instead of a connection reset (closing
 * a socket with unread data makes the kernel send RST, which can destroy the answer in flight).
 * Beyond it the connection is cut: nothing is ever buffered, and a sender of hundreds of megabytes
 * is stopped after a few.
 */
const DRAIN_MAX_BYTES = 4 * 1024 * 1024

/** The connection is closed after it by server/errors.ts `closeUnreadRequests` (the body is not read to its end). */
function tooLarge(message: string): HttpError {
  return new HttpError(413, message)
}

/** Reads and discards what is left of a refused body, up to `budget` bytes; past it, cuts the connection. */
function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>, budget: number): void {
  void (async () => {
    let left = budget
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return
        left -= value.byteLength
        if (left < 0) {
          await reader.cancel()
          return
        }
      }
    } catch {
      // The client went away: nothing to discard any more.
    }
  })()
}

/**
 * Reads the body as a stream and stops at `limit` bytes, whatever Content-Length says (or does not
 * say, with Transfer-Encoding: chunked): the rest is never buffered. Over the limit a French 413 is
 * thrown at once; the rest is discarded (up to DRAIN_MAX_BYTES) or the connection cut.
 */
export async function readCappedBody(request: Request, limit: number, message: string): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(request.headers.get('content-length') ?? '0')
  if (declared > limit) {
    // Announced too large: not one byte is kept. A moderate excess is drained so the answer arrives.
    if (request.body && declared <= DRAIN_MAX_BYTES) discardRest(request.body.getReader(), DRAIN_MAX_BYTES)
    throw tooLarge(message)
  }
  if (!request.body) return new Uint8Array(new ArrayBuffer(0))
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>
    try {
      chunk = await reader.read()
    } catch {
      throw new HttpError(400, 'Requête interrompue avant la fin de l’envoi : recommencez.')
    }
    if (chunk.done) break
    total += chunk.value.byteLength
    if (total > limit) {
      discardRest(reader, DRAIN_MAX_BYTES)
      throw tooLarge(message)
    }
    chunks.push(chunk.value)
  }
  const body = new Uint8Array(new ArrayBuffer(total))
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return body
}

const utf8 = new TextDecoder('utf-8', { fatal: true })
function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes)
  } catch {
    return null
  }
}

/**
 * Reads a JSON body and parses it with the route's zod schema. Anything else is answered with a
 * French 4xx that says what to fix; the handler never sees unparsed input.
 */
export async function readJson<Schema extends z.ZodTypeAny>(request: Request, schema: Schema): Promise<z.infer<Schema>> {
  if (!(request.headers.get('content-type') ?? '').includes('application/json')) {
    throw new HttpError(415, 'Format de requête non pris en charge : JSON attendu.')
  }
  const text = decodeUtf8(await readCappedBody(request, MAX_JSON_BYTES, 'Requête trop volumineuse.'))
  if (text === null) throw new HttpError(400, 'Requête illisible : le contenu envoyé n’est pas du texte UTF-8 valide.')
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new HttpError(400, 'Requête illisible : le contenu envoyé n’est pas du JSON valide.')
  }
  const result = schema.safeParse(body)
  if (!result.success) {
    const flattened = result.error.flatten()
    const fieldErrors = flattened.fieldErrors as FieldErrors
    const first = flattened.formErrors[0] ?? Object.values(fieldErrors).flat()[0] ?? 'Données invalides.'
    throw new HttpError(422, `Formulaire incomplet ou invalide : ${first}`, { fieldErrors })
  }
  return result.data
}


/** Reads a form body; anything that is not a form gets a French 400 instead of an exception. */
export async function readForm(request: Request): Promise<FormData> {
  const type = request.headers.get('content-type') ?? ''
  if (!type.includes('application/x-www-form-urlencoded') && !type.includes('multipart/form-data')) {
    throw new HttpError(400, 'Formulaire attendu : rechargez la page et recommencez.')
  }
  const bytes = await readCappedBody(request, MAX_JSON_BYTES, 'Formulaire trop volumineux.')
  try {
    return await new Request('http://form.invalid', { method: 'POST', headers: { 'content-type': type }, body: bytes }).formData()
  } catch {
    throw new HttpError(400, 'Formulaire illisible : rechargez la page et recommencez.')
  }
}

/**
 * For routes that only answer GET: any other method gets a French 405 (the page's boundary, or JSON
 * from a resource route) rather than Remix's English « You made a POST request… » and an error log.
 */
export function getOnly(): never {
  throw new HttpError(405, 'Méthode non autorisée : cette adresse ne reçoit pas de formulaire. Revenez à la page précédente et utilisez ses boutons.')
}

/** For resource routes that only accept POST: a GET gets a French 405 rather than Remix's default. */
export function postOnly() {
  throw new HttpError(405, 'Méthode non autorisée : cette adresse n’accepte que l’envoi de formulaires (POST).')
}
