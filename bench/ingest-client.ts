/**
 * An ingest client for `npm run bench`, run as its own process: regenerates days of the bench
 * year (same seed, same rows) and posts them to a daemon over keep-alive HTTP, `concurrency`
 * requests at a time. Prints one JSON line: what it sent, what the daemon answered, and how long
 * it took. A `HeartbeatJob` instead posts WakaTime heartbeats as many editors' CLIs do, each
 * device with its user's key, and times every acknowledgement.
 */
import http from 'node:http'
import {
  type BenchDay,
  type Profile,
  PROFILES,
  deviceHeartbeats,
  generateToday,
  untilNow,
} from './generate.ts'

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

/** A POST of a JSON body; resolves to the answer's text when its status is `ok`. */
function post(
  agent: http.Agent,
  port: number,
  path: string,
  body: string,
  headers: Record<string, string>,
  ok = 200,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        agent,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
        },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (text += c))
        res.on('end', () =>
          res.statusCode === ok ? resolve(text) : reject(new Error(`${res.statusCode} ${text}`)),
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
          await post(agent, job.port, r.value.path, r.value.body, {
            authorization: `Bearer ${job.token}`,
          }),
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

export interface HeartbeatJob {
  kind: 'wakatime'
  port: number
  /** Each device: its user's WakaTime key, its machine name, and the seeds of its heartbeats. */
  devices: { key: string; machine: string; user: number; device: number }[]
  /** Requests per device, one in flight at a time (as WakaTime's CLI sends its queue). */
  batches: number
  /** Heartbeats per request. */
  batch: number
  nowMs: number
}

export interface HeartbeatResult {
  heartbeats: number
  requests: number
  ms: number
  /** Every request's time from sending to its 202, in ms. */
  ackMs: number[]
}

/** The CLI's headers (contract §B.1): the key as Basic, the machine's name, the editor. */
function cliHeaders(key: string, machine: string): Record<string, string> {
  return {
    authorization: `Basic ${Buffer.from(key).toString('base64')}`,
    'user-agent':
      'wakatime/v1.102.1 (linux-6.6.4-x86_64) go1.22.5 vscode/1.95.3 vscode-wakatime/24.8.0',
    'x-machine-name': machine,
    timezone: 'Europe/Berlin',
    accept: 'application/json',
  }
}

/** Every device posts its heartbeats in bulk, all devices at once. */
export async function runHeartbeats(job: HeartbeatJob): Promise<HeartbeatResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.devices.length })
  const result: HeartbeatResult = { heartbeats: 0, requests: 0, ms: 0, ackMs: [] }
  const bodies = job.devices.map((d) => {
    const all = deviceHeartbeats(d.user, d.device, job.batches * job.batch, job.nowMs)
    return Array.from({ length: job.batches }, (_, i) =>
      JSON.stringify(all.slice(i * job.batch, (i + 1) * job.batch)),
    )
  })
  const t0 = performance.now()
  await Promise.all(
    job.devices.map(async (d, i) => {
      const headers = cliHeaders(d.key, d.machine)
      for (const body of bodies[i] ?? []) {
        const t = performance.now()
        await post(agent, job.port, '/api/v1/users/current/heartbeats.bulk', body, headers, 202)
        result.ackMs.push(performance.now() - t)
        result.requests++
        result.heartbeats += job.batch
      }
    }),
  )
  result.ms = performance.now() - t0
  agent.destroy()
  return result
}

if (import.meta.main) {
  const job = JSON.parse(process.argv[2] ?? '{}') as ClientJob | HeartbeatJob
  const result = 'kind' in job ? await runHeartbeats(job) : await runClient(job)
  process.stdout.write(`${JSON.stringify(result)}\n`)
}
