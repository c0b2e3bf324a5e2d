/**
 * The WakaTime API, as `wakatime-cli` (and through it every WakaTime editor plugin), the browser
 * extension and WakaTime tools speak it: heartbeat ingest and the reads they make, on Wakapi's
 * paths under `/api`. Point `api_url` in `~/.wakatime.cfg` at `http://127.0.0.1:<port>/api/v1`
 * (`daybook wakatime setup` does it).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { installJsonParser } from '../../json-body.ts'
import { named } from '../../plugins/named.ts'
import { wakatimeIngestRoutes } from './ingest.ts'
import { wakatimeReadRoutes } from './reads.ts'

export const wakatimeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // The browser extension posts its JSON as text/plain (a fetch with a string body); so do some
  // scripts that send no content type at all. Here, every body is read as JSON.
  installJsonParser(app, { types: ['text/plain', '*'], empty: () => ({ value: undefined }) })
  await app.register(named(wakatimeIngestRoutes))
  await app.register(named(wakatimeReadRoutes))
}
