import { type z } from 'zod'

/** JSON and form bodies alike: ciphertext and forms here are small; files will have their own route. */
const MAX_JSON_BYTES = 64 * 1024

export type FieldErrors = Record<string, string[]>

export function jsonError(status: number, error: string, fieldErrors?: FieldErrors): Response {
  return Response.json({ error, ...(fieldErrors ? { fieldErrors } : {}) }, { status })
}

/** Refused before reading the body: close the connection so the unread bytes cannot poison a kept-alive socket. */
function tooLarge(message: string): Response {
  return Response.json({ error: message }, { status: 413, headers: { Connection: 'close' } })
}

/**
 * Reads a JSON body and parses it with the route's zod schema. Anything else is answered with a
 * French 4xx that says what to fix; the handler never sees unparsed input.
 */
export async function readJson<Schema extends z.ZodTypeAny>(request: Request, schema: Schema): Promise<z.infer<Schema>> {
  if (!(request.headers.get('content-type') ?? '').includes('application/json')) {
    throw jsonError(415, 'Format de requête non pris en charge : JSON attendu.')
  }
  const declared = Number(request.headers.get('content-length') ?? '0')
  if (declared > MAX_JSON_BYTES) throw tooLarge('Requête trop volumineuse.')
  const text = await request.text()
  if (text.length > MAX_JSON_BYTES) throw jsonError(413, 'Requête trop volumineuse.')
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw jsonError(400, 'Requête illisible : le contenu envoyé n’est pas du JSON valide.')
  }
  const result = schema.safeParse(body)
  if (!result.success) {
    const flattened = result.error.flatten()
    const fieldErrors = flattened.fieldErrors as FieldErrors
    const first = flattened.formErrors[0] ?? Object.values(fieldErrors).flat()[0] ?? 'Données invalides.'
    throw jsonError(422, `Formulaire incomplet ou invalide : ${first}`, fieldErrors)
  }
  return result.data
}


/** Reads a form body; anything that is not a form gets a French 400 instead of an exception. */
export async function readForm(request: Request): Promise<FormData> {
  const type = request.headers.get('content-type') ?? ''
  if (!type.includes('application/x-www-form-urlencoded') && !type.includes('multipart/form-data')) {
    throw jsonError(400, 'Formulaire attendu : rechargez la page et recommencez.')
  }
  if (Number(request.headers.get('content-length') ?? '0') > MAX_JSON_BYTES) throw tooLarge('Formulaire trop volumineux.')
  const text = await request.text()
  if (text.length > MAX_JSON_BYTES) throw jsonError(413, 'Formulaire trop volumineux.')
  try {
    return await new Request('http://form.invalid', { method: 'POST', headers: { 'content-type': type }, body: text }).formData()
  } catch {
    throw jsonError(400, 'Formulaire illisible : rechargez la page et recommencez.')
  }
}

/** For resource routes that only accept POST: a GET gets a French 405 rather than Remix's default. */
export function postOnly() {
  return jsonError(405, 'Méthode non autorisée : cette adresse n’accepte que l’envoi de formulaires (POST).')
}
