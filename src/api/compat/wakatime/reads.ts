/**
 * The reads WakaTime plugins and tools make, under `/api/users/{user}`, `/api/v1/users/{user}` and
 * `/api/compat/wakatime/v1/users/{user}`: the user, `statusbar/{range}` (and `status_bar`),
 * `summaries`, `stats[/{range}]`, `all_time_since_today`, `projects`, `heartbeats?date` and
 * `durations?date`, in WakaTime's shapes. Numbers come from the active-time service.
 *
 * Times are computed in the request's `timezone` parameter, else the `Timezone` header the CLI
 * sends, else the `timezone` setting, else the daemon's zone.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { wakatimeActivityRoutes } from './reads-activity.ts'
import { named } from '../../plugins/named.ts'
import { wakatimeTotalsRoutes } from './reads-totals.ts'

/** The prefixes the reads are served under (Wakapi's). */
const READ_PREFIXES = [
  '/api/users/:user',
  '/api/v1/users/:user',
  '/api/compat/wakatime/v1/users/:user',
]

export const wakatimeReadRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const prefix of READ_PREFIXES) {
    await app.register(named(wakatimeTotalsRoutes), { prefix })
    await app.register(named(wakatimeActivityRoutes), { prefix })
  }
}
