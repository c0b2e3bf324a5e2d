/**
 * The API as the daemon serves it: `buildApp()` with the daemon's tokens, Host check, CORS
 * origins and logger, and the request handler the Unix socket listener shares with TCP.
 */
import http from 'node:http'
import https from 'node:https'
import path from 'node:path'
import type { FastifyServerOptions } from 'fastify'
import { type DaybookApp, buildApp } from '../api/app.ts'
import {
  type DefaultTokenSource,
  StaticKeyAuthenticator,
  ensureDefaultToken,
  fileDefaultToken,
  fixedDefaultToken,
  tokenFileProblem,
} from '../auth/default-token.ts'
import { watchStatusFile } from '../config/watch-status.ts'
import { type DaemonConfig, allowedHostNames } from '../config/daemon-config.ts'
import { describeFsError } from '../config/files.ts'
import { isLoopback } from '../config/network.ts'
import { tokenFile } from '../config/paths.ts'
import { AuthenticatorChain } from '../domain/access.ts'
import type { TlsMaterial } from '../services/sync/tls.ts'
import { daemonLogger } from './log.ts'
import { StartError } from './start-error.ts'

export interface DaemonApi {
  app: DaybookApp
  /** The default token and SERVER_API_KEY; the ActivityWatch listener checks with it too. */
  authenticator: AuthenticatorChain
  /** The app's request handler, for another server to serve it (the Unix socket). */
  handler: http.RequestListener
}

/** Builds the app (ready, not listening, no store yet); throws `StartError` for a bad token file. */
export async function buildDaemonApi(config: DaemonConfig, tls?: TlsMaterial): Promise<DaemonApi> {
  // The token file is re-read while the daemon runs; a bad replacement is logged, not used.
  let log: (message: string) => void = () => undefined
  const defaultToken = defaultTokenSource(config, (message) => log(message))
  const authenticator = new AuthenticatorChain([
    new StaticKeyAuthenticator(() => defaultToken.current()),
    ...(config.ingestKey === undefined ? [] : [ingestKeyAuthenticator(config.ingestKey)]),
  ])
  // One handler, two servers: TCP via Fastify's own server, the Unix socket via a second one.
  let handler: http.RequestListener | undefined
  const serverFactory: NonNullable<FastifyServerOptions['serverFactory']> = (h) => {
    handler = h
    // A hub with a certificate speaks TLS on TCP (the Unix socket stays plain: it is local).
    return tls ? https.createServer({ cert: tls.cert, key: tls.key }, h) : http.createServer(h)
  }
  const app = await buildApp({
    authenticator,
    defaultToken,
    // Bound to loopback, the daemon knows every name it is reached by; bound elsewhere it cannot,
    // unless it is a hub told the names devices reach it by (--public-name).
    hostCheck:
      isLoopback(config.host) || (config.hub?.publicNames.length ?? 0) > 0
        ? { allow: allowedHostNames(config) }
        : false,
    sync: { configDir: config.configDir, retryMaxMs: config.syncRetryMaxMs },
    corsOrigins: config.corsOrigins,
    serverFactory,
    disableRequestLogging: true,
    publicActivitySummary: config.publicActivitySummary,
    activitySummaryRateLimit: config.summaryRateLimit,
    watchStatusFile: watchStatusFile(config.dataDir),
    screenshotsDir: path.join(config.dataDir, 'screenshots'),
    llm: { configFile: path.join(config.configDir, 'llm.json'), environment: config.llm },
    logger: daemonLogger(config.logLevel, config.logFormat),
    slowQueryMs: config.slowQueryMs,
    imports: config.imports,
  })
  await app.ready()
  log = (message) => app.log.warn(message)
  if (handler === undefined) throw new Error('the app was built without its server')
  return { app, authenticator, handler }
}

/** SERVER_API_KEY: the frames server's shared secret, accepted as an ingest-only key. */
function ingestKeyAuthenticator(key: string): StaticKeyAuthenticator {
  return new StaticKeyAuthenticator(() => key, { tokenId: 'server-api-key', scope: 'ingest' })
}

/** DAYBOOK_TOKEN, else the token file (made on first start, refused when others can read it). */
function defaultTokenSource(
  config: DaemonConfig,
  warn: (message: string) => void,
): DefaultTokenSource {
  if (config.token !== undefined) return fixedDefaultToken(config.token)
  const file = tokenFile(config.configDir)
  let token: string
  let problem: string | undefined
  try {
    token = ensureDefaultToken(file)
    problem = tokenFileProblem(file, token)
  } catch (err) {
    throw new StartError(`cannot use token file ${file}: ${describeFsError(err)}`)
  }
  if (problem !== undefined) throw new StartError(problem)
  return fileDefaultToken(file, token, warn)
}
