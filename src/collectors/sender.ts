/**
 * How spool entries reach a server. Success is a 2xx status and nothing else: seed 001's client
 * cleared its counts on any answer (a 401 or 500 included), which silently lost them.
 *
 * - `daybook` format: `POST /v1/input`, many buckets per request, each with its id.
 * - `frames` format: seed 001's `POST /frames`, one bucket per request with `timestamp_ms` at the
 *   bucket start and the raw key in `Authorization`, as the seed's client sends it; `source` and
 *   `batch_id` ride along (seed servers ignore them, Daybook de-duplicates by `batch_id`).
 */
import type { DaybookClient } from '../client/client.ts'
import type { SendFailure, SendResult, Sender } from './input-collector.ts'
import type { SpoolEntry } from './spool.ts'

/** Buckets per `POST /v1/input` request (the route takes up to 10,000). */
export const BUCKETS_PER_REQUEST = 1000

export interface SenderOptions {
  /** A client for each attempt, so a restarted daemon (new port, new token) is found again. */
  client: () => DaybookClient
  /** Path to post to: `/v1/input` (daybook) or the frames path. */
  path: string
  /** Collector name sent with the counts. */
  source: string
  /** Describes the target in log lines. */
  target: string
}

/** Daybook's own format: `POST /v1/input` in chunks. */
export class DaybookSender implements Sender {
  readonly target: string
  readonly #o: SenderOptions

  constructor(options: SenderOptions) {
    this.#o = options
    this.target = options.target
  }

  async send(entries: readonly SpoolEntry[]): Promise<SendResult> {
    const client = openClient(this.#o.client)
    if ('failure' in client) return { accepted: 0, failure: client.failure }
    let accepted = 0
    for (let i = 0; i < entries.length; i += BUCKETS_PER_REQUEST) {
      const chunk = entries.slice(i, i + BUCKETS_PER_REQUEST)
      const body = JSON.stringify({
        source: this.#o.source,
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
      const failure = await post(client, this.#o.path, body, {})
      if (failure) return { accepted, failure }
      accepted += chunk.length
    }
    return { accepted }
  }
}

/** Seed 001's format: one `POST /frames` per bucket. */
export class FramesSender implements Sender {
  readonly target: string
  readonly #o: SenderOptions & { key: string | undefined }

  constructor(options: SenderOptions & { key: string | undefined }) {
    this.#o = options
    this.target = options.target
  }

  async send(entries: readonly SpoolEntry[]): Promise<SendResult> {
    const client = openClient(this.#o.client)
    if ('failure' in client) return { accepted: 0, failure: client.failure }
    let accepted = 0
    for (const e of entries) {
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
        source: this.#o.source,
        batch_id: e.id,
      })
      const headers: Record<string, string> =
        this.#o.key === undefined ? {} : { authorization: this.#o.key }
      const failure = await post(client, this.#o.path, body, headers)
      if (failure) return { accepted, failure }
      accepted++
    }
    return { accepted }
  }
}

/** Posts `body`; undefined on a 2xx answer, else what went wrong. */
export async function post(
  client: DaybookClient,
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<SendFailure | undefined> {
  try {
    const res = await client.exchange('POST', path, { body, headers })
    if (res.status >= 200 && res.status < 300) return undefined
    return { status: res.status, message: describeBody(res.body) }
  } catch (err) {
    return { message: (err as Error).message }
  }
}

/** The error a server sent: Daybook's `message`, seed 001's `error`, or the start of the body. */
function describeBody(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: unknown }
    if (typeof parsed.message === 'string') return parsed.message
    if (typeof parsed.error === 'string') return parsed.error
  } catch {
    // not JSON
  }
  return body.slice(0, 200).replace(/\s+/g, ' ').trim() || 'no body'
}

/** A client from the factory, or why there is none (no daemon found, no token). */
/** A client from the factory, or the failure to make one (no daemon discovered). */
export function openClient(factory: () => DaybookClient): DaybookClient | { failure: SendFailure } {
  try {
    return factory()
  } catch (err) {
    return { failure: { message: (err as Error).message } }
  }
}
