/**
 * `npm run bench -- --sync` (or `node bench/sync.ts`): sync between real daemons, each figure
 * beside a baseline measured in the same run.
 *
 * - Apply rate: one hub daemon (TLS, self-signed) ingests a month of events (150,000 by default,
 *   `--events N`) posted locally (batches of 1,000, one request in flight), then applies the same
 *   number pushed by a paired device (batches of 5,000 gzipped changes, one in flight, as a spoke
 *   sends them). Target: the push rate at least 80% of the local one.
 * - Catch-up: a hub and two spokes; the desktop is off while the laptop records a month (pushed
 *   to the hub), then records a month of its own while the hub is down; the hub comes back and
 *   the desktop syncs (`POST /v1/sync/now`): time until it is caught up both ways (its month on
 *   the hub, the laptop's on it). Target: 30 s.
 * - Lag: the laptop records one event every 200 ms; the time from each POST's answer (the
 *   laptop's commit) to the event's arrival on the desktop's live stream. Target: p95 2 s.
 *
 * Writes `bench/results/<date>-sync.json` and prints a markdown table.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import zlib from 'node:zlib'
import WebSocket from 'ws'
import { eventId } from '../src/domain/events.ts'
import { PROTOCOL_VERSION } from '../src/domain/protocol.ts'
import type { SyncEvent } from '../src/domain/sync.ts'
import { DAYBOOK_VERSION } from '../src/version.ts'
import { type BenchEvent, generateDay } from './generate.ts'

const args = process.argv.slice(2)
const flag = (name: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : undefined
}
const EVENTS = flag('--events') ?? 150_000
const LAG_SAMPLES = flag('--lag-samples') ?? 150
const ROOT = path.join(import.meta.dirname, '..')
const LAUNCHER = path.join(ROOT, 'bin', 'daybook.js')
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts')
const DAY = 86_400_000
const dir = mkdtempSync(path.join(os.tmpdir(), 'daybook-bench-sync-'))
const log = (m: string) => process.stderr.write(`bench sync: ${m}\n`)

const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of running) child.kill('SIGTERM')
  rmSync(dir, { recursive: true, force: true })
})

interface Daemon {
  name: string
  child: ChildProcess
  dataDir: string
  configDir: string
  socket: string | null
  port: number
  token: string
  args: string[]
}

async function start(name: string, extra: string[] = [], keep?: Daemon): Promise<Daemon> {
  const dataDir = keep?.dataDir ?? path.join(dir, name, 'data')
  const configDir = keep?.configDir ?? path.join(dir, name, 'config')
  const discovery = path.join(dataDir, 'daemon.json')
  rmSync(discovery, { force: true })
  const child = spawn(
    process.execPath,
    [
      LAUNCHER,
      'serve',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--config-dir',
      configDir,
      '--log-level',
      'warn',
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  )
  running.add(child)
  child.once('exit', () => running.delete(child))
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited`)
    if (existsSync(discovery)) {
      const d = JSON.parse(readFileSync(discovery, 'utf8')) as {
        port: number
        socket: string | null
      }
      const token = readFileSync(path.join(configDir, 'auth.token'), 'utf8').trim()
      const daemon = {
        name,
        child,
        dataDir,
        configDir,
        socket: d.socket,
        port: d.port,
        token,
        args: extra,
      }
      const ready = await call(daemon, 'GET', '/readyz').catch(() => undefined)
      if (ready?.status === 200) return daemon
    }
    await sleep(20)
  }
}

async function stop(d: Daemon): Promise<void> {
  const exited = new Promise((resolve) => d.child.once('exit', resolve))
  d.child.kill('SIGTERM')
  await exited
}

const agent = new http.Agent({ keepAlive: true })

/** A request to a daemon's own API (its Unix socket when it has one). */
function call(
  d: Daemon,
  method: string,
  url: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        ...(d.socket ? { socketPath: d.socket } : { host: '127.0.0.1', port: d.port }),
        method,
        path: url,
        agent: d.socket ? undefined : agent,
        headers: {
          authorization: `Bearer ${d.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (text += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

async function json<T>(d: Daemon, method: string, url: string, body?: unknown): Promise<T> {
  const res = await call(d, method, url, body === undefined ? undefined : JSON.stringify(body))
  if (res.status >= 300) throw new Error(`${d.name} ${method} ${url}: ${res.status} ${res.body}`)
  return JSON.parse(res.body) as T
}

/**
 * Over TLS to the hub's TCP port, trusting its self-signed certificate (the bench's own). A
 * kept-alive socket the hub closed (idle) just as it was reused is sent on again, once, on a fresh
 * one: both writes are idempotent (content ids, ranges of the push).
 */
function tlsCall(
  hub: Daemon,
  method: string,
  url: string,
  token: string,
  body: Buffer | string,
  gzipped: boolean,
): Promise<number> {
  return tlsCallOnce(hub, method, url, token, body, gzipped).catch((err: unknown) => {
    if ((err as { reused?: boolean }).reused) {
      return tlsCallOnce(hub, method, url, token, body, gzipped)
    }
    throw err
  })
}

function tlsCallOnce(
  hub: Daemon,
  method: string,
  url: string,
  token: string,
  body: Buffer | string,
  gzipped: boolean,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: hub.port,
        method,
        path: url,
        agent: tlsAgent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          ...(gzipped ? { 'content-encoding': 'gzip' } : {}),
        },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(Object.assign(err, { reused: req.reusedSocket && err.code === 'ECONNRESET' })),
    )
    req.end(body)
  })
}
const tlsAgent = new https.Agent({ keepAlive: true, rejectUnauthorized: false })

function cli(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

const dirs = (d: Daemon) => ['--data-dir', d.dataDir, '--config-dir', d.configDir]

async function pair(hub: Daemon, spoke: Daemon, name: string): Promise<void> {
  const made = await cli(['pair', '--name', name, '--json', ...dirs(hub)])
  const code = JSON.parse(made.stdout) as { url: string; code: string; fingerprint: string }
  const joined = await cli([
    'sync',
    'join',
    code.url,
    code.code,
    '--fingerprint',
    code.fingerprint,
    ...dirs(spoke),
  ])
  if (joined.code !== 0) throw new Error(joined.stderr)
}

/** A month of the bench's generated activity (its events only), `count` of them, shifted by `shift` ms. */
function month(count: number, endMs: number, seed: number): BenchEvent[] {
  const out: BenchEvent[] = []
  const first = Math.floor(endMs / DAY) * DAY - 40 * DAY
  for (let i = 0; out.length < count; i++) {
    for (const e of generateDay(i, first + i * DAY, seed).events) {
      if (Date.parse(e.end_timestamp) < endMs) out.push(e)
    }
  }
  return out.slice(0, count)
}

function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** The events in the wire form a push carries, on device `device`. */
function asChanges(events: readonly BenchEvent[], device: string): SyncEvent[] {
  return events.map((e) => {
    const c: SyncEvent = {
      kind: 'event',
      op: 'upsert',
      id: '',
      device,
      startMs: Date.parse(e.timestamp),
      endMs: Date.parse(e.end_timestamp),
      durationSec: null,
      category: e.category,
      app: e.app_name,
      entity: e.entity_name,
      entityType: e.entity_type,
      project: e.project_name,
      projectPath: null,
      branch: e.branch_name,
      language: e.language_name,
      source: e.source_name,
      version: null,
    }
    return { ...c, id: eventId(device, c) }
  })
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN
}

const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  version: DAYBOOK_VERSION,
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
  events: EVENTS,
}
const table: string[][] = [['measure', 'sync', 'baseline', 'ratio', 'target']]
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a')
const now = Date.now()

try {
  // ---- apply rate: one hub, local ingest beside pushes ------------------------------------
  log(`apply rate: ${EVENTS} events posted locally, then ${EVENTS} pushed`)
  const hub = await start('rate-hub', ['--hub', '--tls-self-signed'])
  const local = month(EVENTS, now, 42)
  const localBodies = batches(local, 1000).map((b) => JSON.stringify(b))
  let t0 = performance.now()
  for (const body of localBodies) {
    const status = await tlsCall(hub, 'POST', '/v1/events', hub.token, body, false)
    if (status !== 200) throw new Error(`local ingest answered ${status}`)
  }
  const localRate = EVENTS / ((performance.now() - t0) / 1000)

  // A paired device (its token from a code), pushing another month of its own.
  const code = await json<{ code: string }>(hub, 'POST', '/v1/sync/pair', { name: 'pusher' })
  const device = '0199881f-4613-7ac3-a5bb-2cd7ff27ffaa'
  const joined = await json<{ token: string }>(hub, 'POST', '/v1/sync/hub/join', {
    code: code.code,
    device: { id: device, name: 'pusher' },
    protocol: PROTOCOL_VERSION,
  })
  const pushed = asChanges(month(EVENTS, now, 7), device)
  let seq = 0
  const pushBodies = batches(pushed, 5000).map((changes) =>
    zlib.gzipSync(
      JSON.stringify({
        from: seq,
        to: (seq += changes.length),
        epoch: 1,
        batch: { devices: { [device]: 'pusher' }, changes },
      }),
    ),
  )
  t0 = performance.now()
  for (const body of pushBodies) {
    const status = await tlsCall(hub, 'POST', '/v1/sync/hub/push', joined.token, body, true)
    if (status !== 200) throw new Error(`push answered ${status}`)
  }
  const pushRate = EVENTS / ((performance.now() - t0) / 1000)
  await stop(hub)
  results.apply = { localRate, pushRate, ratio: pushRate / localRate }
  table.push([
    'hub applies pushed changes (events/s) vs local ingest',
    fmt(pushRate, 0),
    fmt(localRate, 0),
    fmt(pushRate / localRate, 2),
    '≥ 0.80',
  ])

  // ---- catch-up after a month offline --------------------------------------------------------
  log('catch-up: a month each way')
  let cHub = await start('hub', [
    '--hub',
    '--tls-self-signed',
    '--port',
    String(await freePortOf()),
  ])
  const laptop = await start('laptop')
  let desktop = await start('desktop')
  await pair(cHub, laptop, 'laptop')
  await pair(cHub, desktop, 'desktop')
  await stop(desktop)
  for (const body of batches(month(EVENTS, now, 11), 1000))
    await json(laptop, 'POST', '/v1/events', body)
  await until(
    async () =>
      (await json<{ state: string; pending: number }>(laptop, 'GET', '/v1/sync/status')).pending ===
      0,
  )
  await stop(cHub)
  desktop = await start('desktop', [], desktop)
  for (const body of batches(month(EVENTS, now, 13), 1000))
    await json(desktop, 'POST', '/v1/events', body)
  cHub = await start('hub', cHub.args, cHub)
  t0 = performance.now()
  const status = await json<{ state: string; pending: number }>(desktop, 'POST', '/v1/sync/now')
  const counts = async (d: Daemon) =>
    (await json<{ counts?: { events: number } }>(d, 'GET', '/v1/status')).counts?.events
  await until(
    async () => (await counts(desktop)) === 2 * EVENTS && (await counts(cHub)) === 2 * EVENTS,
  )
  const catchUp = (performance.now() - t0) / 1000
  results.catchUp = { seconds: catchUp, state: status.state }
  table.push(['a month offline (2 × events) caught up both ways (s)', fmt(catchUp), '', '', '≤ 30'])

  // ---- steady-state lag ---------------------------------------------------------------------
  log(`lag: ${LAG_SAMPLES} events, one every 200 ms`)
  const ws = new WebSocket(
    desktop.socket
      ? `ws+unix://${desktop.socket}:/v1/events`
      : `ws://127.0.0.1:${desktop.port}/v1/events`,
    { headers: { authorization: `Bearer ${desktop.token}` } },
  )
  const arrived = new Map<string, number>()
  ws.on('message', (data: Buffer) => {
    const env = JSON.parse(data.toString()) as {
      type: string
      payload: { events?: { app: string }[] }
    }
    if (env.type !== 'EventsInserted') return
    for (const e of env.payload.events ?? [])
      if (!arrived.has(e.app)) arrived.set(e.app, performance.now())
  })
  await new Promise((resolve) => ws.once('open', resolve))
  const committed = new Map<string, number>()
  for (let i = 0; i < LAG_SAMPLES; i++) {
    const app = `lag-${i}`
    const at = now - 30 * 60_000 + i * 1000
    await json(laptop, 'POST', '/v1/events', [
      {
        timestamp: new Date(at).toISOString(),
        end_timestamp: new Date(at + 500).toISOString(),
        category: 'Coding',
        app_name: app,
        entity_name: 'lag.ts',
        project_name: 'bench',
        source_name: 'daybook-editor',
      },
    ])
    committed.set(app, performance.now())
    await sleep(200)
  }
  await until(async () => arrived.size >= LAG_SAMPLES)
  ws.close()
  const lags = [...committed].map(([app, at]) => (arrived.get(app) ?? Number.NaN) - at)
  const p50 = percentile(lags, 0.5)
  const p95 = percentile(lags, 0.95)
  results.lag = { p50, p95, max: Math.max(...lags) }
  table.push([
    "lag, a spoke commit to another spoke's stream, p95 (ms)",
    fmt(p95, 0),
    `p50 ${fmt(p50, 0)}`,
    '',
    '≤ 2000',
  ])
  for (const d of [laptop, desktop, cHub]) await stop(d)
} finally {
  const out = path.join(import.meta.dirname, 'results')
  mkdirSync(out, { recursive: true })
  writeFileSync(
    path.join(out, `${new Date().toISOString().slice(0, 10)}-sync.json`),
    `${JSON.stringify(results, null, 2)}\n`,
  )
  process.stdout.write(`${table.map((r) => `| ${r.join(' | ')} |`).join('\n')}\n`)
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (;;) {
    if (await check()) return
    await sleep(50)
  }
}

async function freePortOf(): Promise<number> {
  const net = await import('node:net')
  return new Promise((resolve) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0))
    })
  })
}
