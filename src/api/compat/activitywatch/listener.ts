/**
 * The ActivityWatch listener of `daybook serve --aw`: its own Fastify app on its own port
 * (ActivityWatch's 5600 by default), always on the loopback address: watchers run on the same
 * machine, and its token-free watcher routes must not be reachable from the network.
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import type { Server } from 'node:http'
import type { Authenticator } from '../../../domain/access.ts'
import type { DaybookContext } from '../../context.ts'
import { buildAwApp } from './app.ts'

export interface AwListenerOptions {
  daybook: DaybookContext
  authenticator: Authenticator
  port: number
  open: boolean
  /** Daybook's own browser origins and the configured ones. */
  origins: () => readonly string[]
  /** The daemon's logger options (the same on every listener). */
  logger: NonNullable<FastifyServerOptions['logger']>
  /** Called with the listener's server before it listens (the daemon's limits and timeouts). */
  prepare?: (server: Server) => void
}

export interface AwListener {
  app: FastifyInstance
  port: number
  close(): Promise<void>
}

/** Starts the listener; rejects with the listen error (`EADDRINUSE`…) as Node reports it. */
export async function listenActivityWatch(options: AwListenerOptions): Promise<AwListener> {
  const app = await buildAwApp({
    daybook: options.daybook,
    authenticator: options.authenticator,
    open: options.open,
    origins: options.origins,
    logger: options.logger,
  })
  options.prepare?.(app.server)
  try {
    await app.listen({ host: '127.0.0.1', port: options.port })
  } catch (err) {
    await app.close()
    throw err
  }
  const address = app.server.address()
  const port = address && typeof address === 'object' ? address.port : options.port
  return { app, port, close: () => app.close() }
}
