/**
 * The daemon's listeners: TCP (Fastify's own server), the Unix socket (a second server handing
 * its requests and WebSocket upgrades to the same app) and ActivityWatch's API on its own port.
 * Each turns the operating system's refusals into one line (`StartError`).
 */
import { chmodSync, rmSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import { type DaybookApp, applyHttpTimeouts } from '../api/app.ts'
import { type AwListener, listenActivityWatch } from '../api/compat/activitywatch/listener.ts'
import type { ConnectionGate } from './connection-limits.ts'
import { markUnixSocketRequest } from '../api/transport.ts'
import type { Authenticator } from '../domain/access.ts'
import { type DaemonConfig, allowedHostNames } from '../config/daemon-config.ts'
import { describeFsError, ensurePrivateDir } from '../config/files.ts'
import { LOOPBACK_HOSTS, isLoopback } from '../config/network.ts'
import { daemonLogger } from './log.ts'
import { StartError } from './start-error.ts'

/** The request timeouts of a listener, from the daemon's configuration. */
function timeouts(config: DaemonConfig) {
  return {
    headersTimeout: config.connectionLimits.headersTimeoutMs,
    requestTimeout: config.connectionLimits.requestTimeoutMs,
  }
}

/**
 * Listens on `config.host:config.port`; resolves to the bound port. `gate` holds the connection
 * limits every TCP listener of the daemon shares.
 */
export async function listenTcp(
  app: DaybookApp,
  config: DaemonConfig,
  warn: (line: string) => void,
  gate: ConnectionGate,
): Promise<number> {
  applyHttpTimeouts(app.server, timeouts(config))
  gate.watch(app.server)
  try {
    await app.listen({ host: config.host, port: config.port })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE') {
      throw new StartError(
        `port ${config.port} on ${config.host} is already in use (another daybook? try --port 0)`,
      )
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new StartError(`cannot listen on ${config.host}: no such local address`)
    }
    if (code === 'EACCES') throw new StartError(`not allowed to listen on port ${config.port}`)
    throw err
  }
  if (!isLoopback(config.host) && config.hub?.tls !== undefined) {
    warn(`listening on ${config.host} with TLS, reachable from other machines (a hub)`)
  } else if (!isLoopback(config.host)) {
    warn(
      `warning: listening on ${config.host}, reachable from other machines; ` +
        'every request still needs a token, but traffic is not encrypted and the Host check is off',
    )
  }
  const address = app.server.address()
  return address !== null && typeof address === 'object' ? address.port : config.port
}

/**
 * Listens on the Unix socket at `socketPath` (its dir 0700, the socket 0600) with the app's
 * request handler. A stale socket left by a crash is replaced; a live one is refused.
 */
export async function listenSocket(
  socketPath: string,
  handler: http.RequestListener,
  app: DaybookApp,
  config: DaemonConfig,
): Promise<http.Server> {
  try {
    ensurePrivateDir(path.dirname(socketPath))
  } catch (err) {
    throw new StartError(
      `cannot create socket dir ${path.dirname(socketPath)}: ${describeFsError(err)}`,
    )
  }
  if (await isLiveSocket(socketPath)) {
    throw new StartError(`another daemon is already listening on ${socketPath}`)
  }
  rmSync(socketPath, { force: true })
  const server = http.createServer((req, res) => {
    markUnixSocketRequest(req)
    handler(req, res)
  })
  applyHttpTimeouts(server, timeouts(config))
  server.on('upgrade', (req, socket, head) => {
    markUnixSocketRequest(req)
    app.server.emit('upgrade', req, socket, head)
  })
  // Client errors (a request out of time, bytes that are not HTTP) are answered by the app's
  // handler, which knows the routes that bound their own bodies (an import's upload).
  server.on('clientError', (err, socket) => app.server.emit('clientError', err, socket))
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new StartError(`cannot listen on ${socketPath}: ${describeFsError(err)}`)),
    )
    // Bound with a private umask so the socket is never, even briefly, open to others.
    const previous = process.umask(0o177)
    server.listen(socketPath, () => resolve())
    process.umask(previous)
  })
  chmodSync(socketPath, 0o600)
  return server
}

/** True when something accepts connections at `socketPath`. */
function isLiveSocket(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const conn = net.connect(socketPath)
    conn.once('connect', () => {
      conn.destroy()
      resolve(true)
    })
    conn.once('error', () => resolve(false))
  })
}

/** Stops `server` accepting, closes its idle connections; resolves once all have ended. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeIdleConnections()
  })
}

/**
 * ActivityWatch's API (--aw) on its own loopback port, sharing the daemon's store, services and
 * tokens. `port` is the daemon's own TCP port, whose origins the listener allows.
 */
export async function listenAw(
  app: DaybookApp,
  config: DaemonConfig,
  authenticator: Authenticator,
  port: number | undefined,
  warn: (line: string) => void,
  gate: ConnectionGate,
): Promise<AwListener> {
  const own = port === undefined ? [] : [...LOOPBACK_HOSTS, ...allowedHostNames(config)]
  try {
    const aw = await listenActivityWatch({
      daybook: app.daybook,
      authenticator,
      port: config.awPort,
      open: config.awOpen,
      origins: () => [...own.map((h) => `http://${h}:${port}`), ...config.corsOrigins],
      logger: daemonLogger(config.logLevel, config.logFormat),
      prepare: (server) => {
        applyHttpTimeouts(server, timeouts(config))
        gate.watch(server)
      },
    })
    if (config.awOpen) {
      warn(
        `warning: --aw-open: the ActivityWatch API on 127.0.0.1:${aw.port} ` +
          'serves your whole history, imports and deletes without a token to anything on this machine',
      )
    }
    return aw
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE') {
      throw new StartError(
        `port ${config.awPort} is already in use (ActivityWatch's own server? stop it, or use --aw-port)`,
      )
    }
    if (code === 'EACCES') throw new StartError(`not allowed to listen on port ${config.awPort}`)
    throw err
  }
}
