/**
 * CORS: which web pages may call the API from a browser. Allowed are the daemon's own origins
 * (`http://<allowed host>:<its port>`) and the origins the user lists; there is no wildcard, so a
 * page elsewhere, or a browser extension the user did not list, gets no CORS headers and the
 * browser withholds the response. Preflights are answered in the CORS hook, which runs before the
 * auth hook, because browsers send them without credentials.
 */
import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'

// Where it is decided, with the rest of what the daemon is configured with.
export { normaliseOrigin } from '../../config/network.ts'

export interface CorsOptions {
  /** Host names the daemon answers for; its own origins are these at its TCP port. */
  hosts: readonly string[]
  /** Further allowed origins, normalised. */
  origins: readonly string[]
}

/** The rule for which browser origins may use the API (also for WebSocket upgrades). */
export function originAllowed(
  app: FastifyInstance,
  options: CorsOptions,
): (origin: string | undefined) => boolean {
  const configured = new Set(options.origins)
  const own = () => {
    const address = app.server.address()
    if (!address || typeof address === 'string') return []
    return options.hosts.map((h) => `http://${h}:${address.port}`)
  }
  return (origin) => origin !== undefined && (configured.has(origin) || own().includes(origin))
}

/** Registers CORS on the app. Call after the host check and before the auth hook. */
export async function installCors(app: FastifyInstance, options: CorsOptions): Promise<void> {
  const allowed = originAllowed(app, options)
  await app.register(cors, {
    origin: (origin, callback) => {
      callback(null, allowed(origin))
    },
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type'],
    maxAge: 600,
    // A non-preflight OPTIONS from an allowed origin is answered like a preflight rather than
    // with the plugin's text/plain 400.
    strictPreflight: false,
  })
}
