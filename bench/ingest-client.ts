/**
 * An ingest client for `npm run bench`, run as its own process: regenerates days of the bench
 * year (same seed, same rows) and posts them to a daemon over keep-alive HTTP, `concurrency`
 * requests at a time. Prints one JSON line: what it sent, what the daemon answered, and how long
 * it took.
 */
import http from 'node:http'
import { type BenchDay, type Profile, PROFILES, generateToday, untilNow } from './generate.ts'

export interface ClientJob {
  port: number
  token: string
  /** Days `[fromDay, toDay)` of the year starting at `startMs`. */
  fromDay: number
  toDay: number
  startMs: number
  nowMs: number
  concurrency: number
  /** Events per request. */
  batch: number
  /** Post events only (AFK and input are posted by the main ingest, not the ones under load). */
  eventsOnly?: boolean
  /** Send every event as happening on this device (for extra load on top of the year). */
  device?: string
  /** Post today's activity so far instead of days of the year. */
  today?: boolean
  /** The data profile (bench/generate.ts). */
  profile: Profile
}

export interface ClientResult {
  events: number
  requests: number
  inserted: number
  duplicates: number
  updated: number
  ms: number
}

function post(agent: http.Agent, job: ClientJob, path: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: job.port,
        method: 'POST',
        path,
        agent,
        headers: {
          authorization: `Bearer ${job.token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (text += c))
        res.on('end', () =>
          res.statusCode === 200 ? resolve(text) : reject(new Error(`${res.statusCode} ${text}`)),
        )
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** The requests of a job, in order, generated as they are needed. */
function* requests(job: ClientJob): Generator<{ path: string; body: string; events: number }> {
  let pending: unknown[] = []
  const days = job.today
    ? [generateToday(job.nowMs, job.profile)]
    : Array.from({ length: job.toDay - job.fromDay }, (_, i) => job.fromDay + i)
  for (const d of days) {
    const day: BenchDay =
      typeof d === 'number'
        ? untilNow(PROFILES[job.profile](d, job.startMs + d * 86_400_000), job.nowMs)
        : d
    for (const e of day.events) {
      pending.push(job.device ? { ...e, device: job.device } : e)
      if (pending.length === job.batch) {
        yield { path: '/v1/events', body: JSON.stringify(pending), events: pending.length }
        pending = []
      }
    }
    if (!job.eventsOnly) {
      if (day.afk.length > 0) yield { path: '/v1/afk', body: JSON.stringify(day.afk), events: 0 }
      if (day.input.length > 0) {
        yield {
          path: '/v1/input',
          body: JSON.stringify({ source: 'bench-input', buckets: day.input }),
          events: 0,
        }
      }
    }
  }
  if (pending.length > 0) {
    yield { path: '/v1/events', body: JSON.stringify(pending), events: pending.length }
  }
}

export async function runClient(job: ClientJob): Promise<ClientResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency })
  const queue = requests(job)
  const result: ClientResult = {
    events: 0,
    requests: 0,
    inserted: 0,
    duplicates: 0,
    updated: 0,
    ms: 0,
  }
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      for (let r = queue.next(); !r.done; r = queue.next()) {
        const answer = JSON.parse(
          await post(agent, job, r.value.path, r.value.body),
        ) as Partial<ClientResult>
        result.requests++
        result.events += r.value.events
        if (r.value.path === '/v1/events') {
          result.inserted += answer.inserted ?? 0
          result.duplicates += answer.duplicates ?? 0
          result.updated += answer.updated ?? 0
        }
      }
    }),
  )
  result.ms = performance.now() - t0
  agent.destroy()
  return result
}

if (import.meta.main) {
  const job = JSON.parse(process.argv[2] ?? '{}') as ClientJob
  const result = await runClient(job)
  process.stdout.write(`${JSON.stringify(result)}\n`)
}
