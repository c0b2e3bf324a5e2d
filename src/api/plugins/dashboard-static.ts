/**
 * The dashboard's files: `GET /` (and `/index.html`), `GET /assets/*` (Vite's hashed output) and
 * `GET /favicon.svg`, served from the built `web/dist` by `@fastify/static`. The files hold no
 * data (the page reads everything through the API with its own token), so they need none.
 *
 * Every answer of these routes carries a strict Content-Security-Policy and the headers that keep
 * the page out of frames and its URLs (which may carry a sign-in code) out of Referer headers.
 */
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { NotReadyError } from '../../domain/errors.ts'

/** `<repo>/web/dist`, found from this file's own place, not from the working directory. */
const DEFAULT_DASHBOARD_DIR = path.resolve(import.meta.dirname, '../../../web/dist')

/**
 * Why each directive: scripts, styles, fonts and API calls (`connect-src` also covers the live
 * WebSocket on the same origin) come from the daemon alone; no inline script or style, no
 * plugins, no `<base>` rewrites, no form posts, no framing (clickjacking).
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const DASHBOARD_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  // The address bar may hold `#code=…` for a moment; fragments are never sent as Referer, and
  // no-referrer keeps the rest of the URL from leaking to anything the page links to.
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const

/** index.html is revalidated on every load, so a rebuilt dashboard is picked up at once. */
const INDEX_CACHE = 'no-cache'
/**
 * Vite names assets by their content hash: a changed file has a new name, so a year and
 * `immutable`. Set by `send` only when it serves a file, so a 404 is never cached for a year.
 */
const ASSET_CACHE = { cacheControl: true, maxAge: 365 * 86_400_000, immutable: true }

export interface DashboardStaticOptions {
  /** The built dashboard (`index.html`, `assets/`); default `DEFAULT_DASHBOARD_DIR`. */
  dir?: string | undefined
}

export const dashboardStatic: FastifyPluginAsync<DashboardStaticOptions> = async (app, options) => {
  const dir = path.resolve(options.dir ?? DEFAULT_DASHBOARD_DIR)
  // Headers go on before anything can fail, so error answers of these routes carry them too.
  app.addHook('onRequest', async (_request, reply) => {
    void reply.headers(DASHBOARD_HEADERS)
  })
  // No routes of its own (`serve: false`): only `reply.sendFile`, confined to `dir`. A missing
  // `dir` is the 503 below, not a start-up warning: the daemon runs without a built page.
  await app.register(fastifyStatic, {
    root: dir,
    serve: false,
    suppressWarning: true,
    cacheControl: false,
    dotfiles: 'deny',
  })

  const route = { config: { access: 'public' as const }, schema: { hide: true } }

  // Checked on each request, not at start: `npm run build:web` while the daemon runs is enough.
  const index = async (_request: FastifyRequest, reply: FastifyReply) => {
    if (!existsSync(path.join(dir, 'index.html'))) {
      throw new NotReadyError(
        'dashboard_not_built',
        'The dashboard is not built: run npm run build:web',
      )
    }
    return reply.header('cache-control', INDEX_CACHE).sendFile('index.html')
  }
  app.get('/', route, index)
  app.get('/index.html', route, index)

  app.get('/assets/*', route, async (request, reply) => {
    const file = (request.params as { '*': string })['*']
    // A missing file is the API's JSON 404 (`send` calls the not-found handler); `send` refuses
    // paths that leave the root (`..`, encoded or not).
    return reply.sendFile(file, path.join(dir, 'assets'), ASSET_CACHE)
  })

  // Not content-hashed: revalidated like index.html.
  app.get('/favicon.svg', route, async (_request, reply) =>
    reply.header('cache-control', INDEX_CACHE).sendFile('favicon.svg'),
  )
}
