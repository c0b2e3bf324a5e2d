/**
 * The live stream's plumbing: WebSocket support (`@fastify/websocket`), the hub, and the check
 * that a WebSocket opened from a web page comes from an allowed origin (browsers send `Origin`
 * on upgrades but apply no CORS to them, so without this any page could open the stream).
 */
import websocket from '@fastify/websocket'
import type { FastifyInstance } from 'fastify'
import { ForbiddenError } from '../../domain/errors.ts'
import { statusReport } from '../../services/status.ts'
import { isUpgrade } from '../transport.ts'
import type { DaybookContext } from '../context.ts'
import { type HubOptions, StreamHub } from './hub.ts'

export interface StreamOptions {
  /** Whether a browser origin may open the stream (the CORS rule). */
  originAllowed: (origin: string | undefined) => boolean
  limits?: Pick<
    HubOptions,
    'maxBufferedBytes' | 'maxReplayQueue' | 'pingMs' | 'statusMs' | 'dropGraceMs'
  >
}

/**
 * The live stream of one diary: fed by that diary's bus and feed only, so a client hears nothing
 * of another user's.
 */
export function streamHubFor(
  daybook: DaybookContext,
  options: Pick<StreamOptions, 'limits'>,
  onError: (err: unknown) => void,
): StreamHub {
  const hub: StreamHub = new StreamHub(daybook.bus, {
    ...options.limits,
    clock: daybook.clock,
    feed: (after, limit) => daybook.store.changes.after(after, limit),
    status: async (): Promise<unknown> =>
      statusReport({
        store: daybook.store,
        version: daybook.version,
        startedMs: daybook.startedMs,
        clock: daybook.clock,
        websocketClients: hub.size,
        backups: daybook.backups,
      }),
    onError,
  })
  return hub
}

export async function installStream(
  app: FastifyInstance,
  options: StreamOptions,
): Promise<StreamHub> {
  const hub = streamHubFor(app.daybook, options, (err) => app.log.error({ err }, 'live stream'))
  await app.register(websocket, {
    options: { maxPayload: 64 * 1024 },
    // A clean stop tells every client before closing its socket (every user's diary's hub).
    preClose(done) {
      hub.shutdown()
      for (const diary of app.users.diaries) diary.stream?.shutdown()
      this.websocketServer.close()
      done()
    },
  })
  app.addHook('onRequest', async (request) => {
    if (!isUpgrade(request.headers)) return
    const origin = request.headers.origin
    if (origin !== undefined && !options.originAllowed(origin)) {
      throw new ForbiddenError(
        'origin_not_allowed',
        `a page from ${origin} may not open the stream`,
      )
    }
  })
  // An upgrade refused before the plugin's own hook ran (no token, wrong scope, foreign origin)
  // still owns a raw socket the HTTP server no longer manages: release it, or it stays open
  // and holds every later close of the server.
  app.addHook('onResponse', async (request) => {
    if (isUpgrade(request.headers) && !request.ws) request.raw.socket.destroy()
  })
  return hub
}
