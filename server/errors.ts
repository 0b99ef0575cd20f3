import { type NextFunction, type Request, type Response } from 'express'

/**
 * Path segments that are bearer secrets: whoever reads a log line holding one could use it. Links
 * now carry them in the fragment, which the server never sees; these patterns cover the links
 * issued before, and any client that still puts a secret in the path.
 */
const SECRET_SEGMENTS: readonly RegExp[] = [/^(\/invitation\/)[^/]+/]

/** The path as it may reach the logs: no query string, secret segments replaced. */
export function loggablePath(url: string): string {
  const path = url.split('?')[0] ?? ''
  return SECRET_SEGMENTS.reduce((current, pattern) => current.replace(pattern, '$1[secret]'), path)
}

const MESSAGES: Record<number, { title: string; body: string }> = {
  400: {
    title: 'Adresse illisible',
    body: 'L’adresse demandée contient des caractères invalides. Vérifiez le lien (il a peut-être été coupé en le copiant) ou repartez de la page d’accueil.',
  },
  404: { title: 'Page introuvable', body: 'Cette adresse ne correspond à aucune page. Repartez de la page d’accueil.' },
  413: { title: 'Envoi trop volumineux', body: 'Le contenu envoyé dépasse la taille acceptée. Réduisez-le et recommencez.' },
  500: {
    title: 'Erreur du service',
    body: 'Une erreur inattendue est survenue de notre côté ; rien de ce que vous avez envoyé n’a été enregistré à moitié. Réessayez dans un instant ; si le problème persiste, contactez l’administrateur de la plateforme.',
  },
}

function page(status: number, requestId: string): string {
  const { title, body } = MESSAGES[status] ?? MESSAGES[status < 500 ? 400 : 500]!
  return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — Cellule</title></head>
<body><main style="max-width:40rem;margin:3rem auto;padding:0 1rem;font-family:Marianne,arial,sans-serif;line-height:1.5">
<h1>${title}</h1><p>${body}</p><p><a href="/">Retour à l’accueil de Cellule</a></p>
<p style="color:#666">Référence de la requête : ${requestId}</p></main></body></html>`
}

/**
 * Last Express handler: whatever escapes the routes (an undecodable `%ff` in a path, a body the
 * parser refused) gets a French page, or French JSON under /api/, never Express's page with a stack.
 * Client faults (4xx) are logged as warnings, so a client cannot fill the error log.
 */
export function finalErrorHandler(error: unknown, request: Request, response: Response, _next: NextFunction) {
  const declared = (error as { status?: unknown; statusCode?: unknown }) ?? {}
  const candidate = typeof declared.status === 'number' ? declared.status : typeof declared.statusCode === 'number' ? declared.statusCode : 500
  const status = candidate >= 400 && candidate < 600 ? candidate : 500
  const name = error instanceof Error ? error.name : typeof error
  if (status >= 500) request.log.error({ error: { name } }, 'unhandled error in the HTTP layer')
  else request.log.warn({ error: { name }, status }, 'request refused by the HTTP layer')
  if (response.headersSent) {
    response.destroy()
    return
  }
  const requestId = String(request.id ?? '')
  response.status(status).setHeader('Cache-Control', 'no-store')
  if (request.path.startsWith('/api/')) {
    const { title, body } = MESSAGES[status] ?? MESSAGES[status < 500 ? 400 : 500]!
    response.json({ error: `${title} : ${body}` })
    return
  }
  response.type('text/html; charset=utf-8').send(page(status, requestId))
}

/**
 * Remix 2 with single fetch answers data requests at `.data` URLs; the legacy `?_data=` protocol is
 * not served (it logged an error per request). A 400 in French instead.
 */
export function refuseLegacyDataRequests(request: Request, response: Response, next: NextFunction) {
  const query = request.url.split('?')[1]
  if (query !== undefined && new URLSearchParams(query).has('_data')) {
    response
      .status(400)
      .json({ error: 'Requête refusée : le paramètre « _data » n’est plus pris en charge. Rechargez la page pour utiliser la version actuelle de Cellule.' })
    return
  }
  next()
}

// Line terminators and other control characters in a decoded path: no route can match them
// (React Router's patterns stop at line breaks), so they would surface as an English « No route
// matches URL » in the page data and an error-level log.
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const UNROUTABLE = /[\u0000-\u001f\u007f\u2028\u2029]/

/**
 * Requests no route can serve, answered before Remix in French: OPTIONS (no cross-origin use is
 * offered: an empty 204 with the methods, no CORS header), HEAD on a `.data` URL (Remix would take
 * it for an action and throw on a foreign Origin), and paths holding control characters (404).
 */
export function refuseUnroutable(request: Request, response: Response, next: NextFunction) {
  if (request.method === 'OPTIONS') {
    response.status(204).setHeader('Allow', 'GET, HEAD, POST')
    response.end()
    return
  }
  const path = request.url.split('?')[0] ?? ''
  if (request.method === 'HEAD' && path.endsWith('.data')) {
    response.status(405).setHeader('Allow', 'GET, POST')
    response.end()
    return
  }
  let decoded: string
  try {
    decoded = decodeURIComponent(path)
  } catch {
    // Undecodable: Express answers it (400) through finalErrorHandler.
    next()
    return
  }
  if (UNROUTABLE.test(decoded)) {
    const requestId = String(request.id ?? '')
    response.status(404).setHeader('Cache-Control', 'no-store')
    if (path.startsWith('/api/') || path.endsWith('.data')) response.json({ error: `${MESSAGES[404]!.title} : ${MESSAGES[404]!.body}` })
    else response.type('text/html; charset=utf-8').send(page(404, requestId))
    return
  }
  next()
}

/**
 * A response sent before its request's body was read to the end (the guard refused first, a 413)
 * closes the connection: otherwise the unread bytes stay paused in the socket, the next request a
 * client sends on that kept-alive connection is never read, and it ends in a reset.
 */
export function closeUnreadRequests(request: Request, response: Response, next: NextFunction) {
  const writeHead = response.writeHead.bind(response) as (...args: unknown[]) => Response
  response.writeHead = ((...args: unknown[]) => {
    if (!request.complete && !response.headersSent) response.setHeader('Connection', 'close')
    return writeHead(...args)
  }) as Response['writeHead']
  next()
}
