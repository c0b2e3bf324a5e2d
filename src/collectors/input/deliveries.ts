/**
 * How input buckets travel, in the two wire formats a server may speak:
 *
 * - `daybook`: `POST /v1/input`, many buckets per request, each with its id.
 * - `frames`: `POST /frames`, one bucket per request with `timestamp_ms` at the bucket start and
 *   the raw key in `Authorization`, as the frames protocol's own client sends it; `source` and
 *   `batch_id` ride along (frames servers ignore them, Daybook de-duplicates by `batch_id`).
 */
import { randomUUID } from 'node:crypto'
import { INPUT_KINDS, type InputCounts, emptyCounts } from '../../domain/input.ts'
import { type Delivery, post } from '../core/courier.ts'
import type { LegacyReader } from '../core/outbox.ts'

/** One 5-minute bucket of counts as the outbox keeps it, under its id. */
export interface InputItem extends InputCounts {
  /** Unique id the server de-duplicates by (also the outbox key). */
  id: string
  /** Bucket start, epoch ms. */
  bucketMs: number
}

/** A new item for a bucket, with a fresh id. */
export function newInputItem(bucketMs: number, counts: InputCounts): InputItem {
  const item: InputItem = { id: randomUUID(), bucketMs, ...emptyCounts() }
  for (const k of INPUT_KINDS) item[k] = counts[k]
  return item
}

/** Buckets per `POST /v1/input` request (the route takes up to 10,000). */
const BUCKETS_PER_REQUEST = 1000

/** Daybook's own format: `POST <path>` (`/v1/input`) in chunks. */
export function daybookInputDelivery(path: string, source: string): Delivery<InputItem> {
  return {
    async send(client, items) {
      let accepted = 0
      for (let i = 0; i < items.length; i += BUCKETS_PER_REQUEST) {
        const chunk = items.slice(i, i + BUCKETS_PER_REQUEST)
        const body = JSON.stringify({
          source,
          buckets: chunk.map((e) => ({
            id: e.id,
            timestamp_ms: e.bucketMs,
            lc: e.lc,
            rc: e.rc,
            mc: e.mc,
            kp: e.kp,
            mm: e.mm,
            scroll: e.scroll,
          })),
        })
        const failure = await post(client, path, body, {})
        if (failure) return { accepted, failure }
        accepted += chunk.length
      }
      return { accepted }
    },
  }
}

/** The frames format: one `POST <path>` per bucket; `key` (if any) raw in `Authorization`. */
export function framesDelivery(
  path: string,
  source: string,
  key: string | undefined,
): Delivery<InputItem> {
  const headers: Record<string, string> = key === undefined ? {} : { authorization: key }
  return {
    async send(client, items) {
      let accepted = 0
      for (const e of items) {
        const body = JSON.stringify({
          timestamp_ms: e.bucketMs,
          summary: {
            total_lc: e.lc,
            total_rc: e.rc,
            total_mc: e.mc,
            total_scroll: e.scroll,
            total_kp: e.kp,
            total_mm: e.mm,
          },
          source,
          batch_id: e.id,
        })
        const failure = await post(client, path, body, headers)
        if (failure) return { accepted, failure }
        accepted++
      }
      return { accepted }
    },
  }
}

/**
 * Reads the input spool of earlier releases (`{"version":1,"entries":[…]}`), so counts an older
 * collector left unsent are sent by this one, under the same ids.
 */
export const readInputSpoolV1: LegacyReader<InputItem> = (data) => {
  const d = data as { version?: unknown; entries?: unknown }
  if (d.version !== 1 || !Array.isArray(d.entries)) return undefined
  return d.entries.map((e: Partial<InputItem> & { offered?: unknown }) => {
    if (typeof e.id !== 'string' || !Number.isSafeInteger(e.bucketMs)) {
      throw new Error('an entry has no id or bucket')
    }
    const item = newInputItem(e.bucketMs as number, emptyCounts())
    item.id = e.id
    for (const k of INPUT_KINDS) {
      const v = e[k]
      if (!Number.isSafeInteger(v) || (v as number) < 0) throw new Error(`an entry has a bad ${k}`)
      item[k] = v as number
    }
    // An entry whose flag is lost is treated as offered: changing it could lose counts.
    return [item.id, item, e.offered !== false]
  })
}
