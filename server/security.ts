import { randomBytes } from 'node:crypto'
import { type NextFunction, type Request, type Response } from 'express'
import helmet from 'helmet'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export function cspNonce(response: Response): string {
  return response.locals.cspNonce as string
}

export function assignNonce(_request: Request, response: Response, next: NextFunction) {
  response.locals.cspNonce = randomBytes(16).toString('base64')
  next()
}

/**
 * Security headers for every response (DESIGN §4). Scripts run only with the per-request nonce;
 * 'wasm-unsafe-eval' lets libsodium compile its WebAssembly. Styles allow inline because the
 * DSFR React components inject style elements and attributes (docs/decisions/006-content-security-policy.md).
 */
export function securityHeaders({ https }: { https: boolean }) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'", (_request, response) => `'nonce-${cspNonce(response as Response)}'`, "'wasm-unsafe-eval'"],
        'script-src-attr': ["'none'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        'worker-src': ["'self'", 'blob:'],
        'manifest-src': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        'frame-src': ["'none'"],
        'object-src': ["'none'"],
        'base-uri': ["'none'"],
        ...(https ? { 'upgrade-insecure-requests': [] } : {}),
      },
    },
    strictTransportSecurity: { maxAge: 63_072_000, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    xContentTypeOptions: true,
    xDnsPrefetchControl: { allow: false },
    xPermittedCrossDomainPolicies: { permittedPolicies: 'none' },
  })
}

const PERMISSIONS_POLICY = [
  'accelerometer=()',
  'camera=()',
  'geolocation=()',
  'gyroscope=()',
  'magnetometer=()',
  'microphone=()',
  'payment=()',
  'usb=()',
  'interest-cohort=()',
  'browsing-topics=()',
].join(', ')

export function permissionsPolicy(_request: Request, response: Response, next: NextFunction) {
  response.setHeader('Permissions-Policy', PERMISSIONS_POLICY)
  next()
}

/**
 * Refuses state-changing requests that a browser marks as coming from another site
 * (Sec-Fetch-Site) or whose Origin is foreign. Requests without either header are not
 * from a browser form and carry no ambient credentials worth forging.
 */
export function refuseCrossSiteMutations({ publicOrigin }: { publicOrigin: string | undefined }) {
  return (request: Request, response: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(request.method)) return next()
    const fetchSite = request.get('sec-fetch-site')
    const origin = request.get('origin')
    const expectedOrigin = publicOrigin ?? `${request.protocol}://${request.get('host') ?? ''}`
    const crossSite = fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none'
    const foreignOrigin = origin !== undefined && origin !== expectedOrigin
    if (crossSite || foreignOrigin) {
      response
        .status(403)
        .type('text/plain; charset=utf-8')
        .send(
          "Requête refusée : elle provient d'un autre site. Si vous avez suivi un lien, revenez sur Cellule et recommencez depuis la page du service.",
        )
      return
    }
    next()
  }
}
