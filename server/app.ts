import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { createRequestHandler } from '@remix-run/express'
import { type ServerBuild } from '@remix-run/node'
import express from 'express'
import { pinoHttp } from 'pino-http'
import { type Runtime } from '#app/runtime.server.ts'
import { type Config } from './config.ts'
import { closeUnreadRequests, finalErrorHandler, loggablePath, refuseLegacyDataRequests, refuseUnroutable } from './errors.ts'
import { type Logger } from './logger.ts'
import { assignNonce, cspNonce, permissionsPolicy, refuseCrossSiteMutations, securityHeaders } from './security.ts'

export type AppLoadContext = { runtime: Runtime; cspNonce: string; requestId: string; logger: Logger; clientIp: string }

declare module '@remix-run/node' {
  interface AppLoadContext {
    /** The process's database, keys, throttles and settings (server/runtime.ts): never a module global. */
    runtime: Runtime
    cspNonce: string
    requestId: string
    logger: Logger
    /** The client's address (first proxy hop trusted), for rate limits and the audit trail. */
    clientIp: string
  }
}

type CreateAppOptions = {
  build: ServerBuild | (() => Promise<ServerBuild>)
  runtime: Runtime<Config>
  projectRoot: string
}

export function createApp({ build, runtime, projectRoot }: CreateAppOptions) {
  const { config, logger } = runtime
  const app = express()
  app.disable('x-powered-by')
  // Behind a reverse proxy the client address and scheme come from X-Forwarded-*; only the first hop is trusted.
  app.set('trust proxy', 'loopback')

  app.use(
    pinoHttp({
      logger,
      genReqId: (_request, response) => {
        const id = randomUUID()
        response.setHeader('X-Request-Id', id)
        return id
      },
      serializers: {
        req: (request: { id: string; method: string; url: string }) => ({
          id: request.id,
          method: request.method,
          path: loggablePath(request.url),
        }),
        res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
      },
      customLogLevel: (_request, response, error) =>
        error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info',
    }),
  )
  app.use(closeUnreadRequests)
  app.use(assignNonce)
  app.use(securityHeaders({ https: (config.PUBLIC_ORIGIN ?? '').startsWith('https:') }))
  app.use(permissionsPolicy)
  app.use(refuseCrossSiteMutations({ publicOrigin: config.PUBLIC_ORIGIN }))
  app.use(refuseLegacyDataRequests)
  app.use(refuseUnroutable)

  const publicDirectory = path.join(projectRoot, 'public')
  // Fingerprinted build assets never change; everything else in public/ may.
  app.use('/build', express.static(path.join(publicDirectory, 'build'), { immutable: true, maxAge: '1y', index: false }))
  app.use(express.static(publicDirectory, { maxAge: '1h', index: false }))

  // Pages and data may carry personal data or wrapped keys: no cache keeps them unless a route says so.
  app.use((_request, response, next) => {
    response.setHeader('Cache-Control', 'no-store')
    next()
  })
  app.all(
    '*',
    createRequestHandler({
      build,
      mode: config.NODE_ENV,
      getLoadContext: (request, response): AppLoadContext => ({
        runtime,
        cspNonce: cspNonce(response),
        requestId: String(request.id),
        logger: request.log,
        clientIp: request.ip ?? 'unknown',
      }),
    }),
  )
  app.use(finalErrorHandler)
  return app
}
