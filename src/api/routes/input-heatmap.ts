/**
 * `GET /v1/input/heatmap`: when a person types and clicks, as weekday × hour cells in a zone.
 * Each stored 5-minute input bucket falls in the local weekday and clock hour it starts in;
 * zone rules (half-hour offsets, DST) come from Temporal.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Temporal } from 'temporal-polyfill'
import { formatTimestamp } from '../../domain/calendar.ts'
import type { InputBucket } from '../../domain/input.ts'
import { rangeFromQuery } from '../schemas/common.ts'
import { Heatmap, HeatmapQuery } from '../schemas/heatmap.ts'
import { errorResponses } from '../schemas/responses.ts'
import { DAY_MS, HOUR_MS } from '../../domain/time.ts'

/** One weekday × hour cell of the heatmap. */
export interface HeatmapCell {
  weekday: number
  hour: number
  keys: number
  clicks: number
  moves: number
  scrolls: number
}

/**
 * Sums buckets into weekday × hour cells in `timeZone`; only cells with input, in order.
 *
 * The zone's offset comes from Temporal, asked again only when a bucket lies outside the span
 * the last answer holds for (up to the zone's next transition): a year of buckets is a handful
 * of zone lookups, not one per bucket, with the same result.
 */
export function heatmapCells(buckets: readonly InputBucket[], timeZone: string): HeatmapCell[] {
  const cells = new Map<number, HeatmapCell>()
  let from = Infinity
  let until = -Infinity
  let offsetMs = 0
  for (const b of buckets) {
    const keys = b.kp
    const clicks = b.lc + b.rc + b.mc
    if (keys + clicks + b.mm + b.scroll === 0) continue
    if (b.bucketMs < from || b.bucketMs >= until) {
      const zoned = Temporal.Instant.fromEpochMilliseconds(b.bucketMs).toZonedDateTimeISO(timeZone)
      offsetMs = zoned.offsetNanoseconds / 1_000_000
      from = b.bucketMs
      until = zoned.getTimeZoneTransition('next')?.epochMilliseconds ?? Infinity
    }
    const local = b.bucketMs + offsetMs
    const days = Math.floor(local / DAY_MS)
    // 1970-01-01 was a Thursday (ISO weekday 4).
    const weekday = ((((days + 3) % 7) + 7) % 7) + 1
    const hour = Math.floor((local - days * DAY_MS) / HOUR_MS)
    const key = weekday * 24 + hour
    let cell = cells.get(key)
    if (!cell) {
      cell = { weekday, hour, keys: 0, clicks: 0, moves: 0, scrolls: 0 }
      cells.set(key, cell)
    }
    cell.keys += keys
    cell.clicks += clicks
    cell.moves += b.mm
    cell.scrolls += b.scroll
  }
  return [...cells.entries()].sort(([a], [b]) => a - b).map(([, cell]) => cell)
}

export const inputHeatmapRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/input/heatmap',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Keyboard and mouse counts per local weekday and hour (a heatmap)',
        description:
          'The range is a preset, or start and end (both: a heatmap needs a bounded range). ' +
          '`tz` defaults to the timezone setting; `devices` counts only those devices.',
        tags: ['input'],
        querystring: HeatmapQuery,
        response: { 200: Heatmap, ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => {
      const q = request.query
      const { calendar, nowMs } = await request.daybook.requestTime(q.tz)
      const range = rangeFromQuery(q, nowMs, calendar, true)
      const devices = q.devices && q.devices.length > 0 ? q.devices : undefined
      const buckets = await request.daybook.store.input.buckets({ ...range, devices })
      return {
        tz: calendar.timeZone,
        start: formatTimestamp(range.startMs),
        end: formatTimestamp(range.endMs),
        cells: heatmapCells(buckets, calendar.timeZone),
      }
    },
  )
}
