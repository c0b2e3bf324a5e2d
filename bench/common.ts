/**
 * What the benchmarks share: a real daemon process started as a person starts it (through the
 * launcher), keep-alive GETs to it, ingest clients in processes of their own, percentiles and the
 * printed table.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { DAYBOOK_VERSION } from '../src/version.ts'
import type { ClientJob, ClientResult, HeartbeatJob } from './ingest-client.ts'

const LAUNCHER = path.join(import.meta.dirname, '..', 'bin', 'daybook.js')

export interface Daemon {
  child: ChildProcess
  /** The daemon's own process (the launcher runs it as a child). */
  pid: number
  port: number
  /** The owner's token (the config dir's `auth.token`). */
  token: string
  startedMs: number
  readyMs: number
}

/** Daemons started and not yet stopped: a bench that fails must not leave them running. */
const running = new Set<ChildProcess>()
process.on('exit', () => {
  // SIGTERM: the launcher passes it on to the daemon it runs (SIGKILL would orphan that one).
  for (const child of running) child.kill('SIGTERM')
})

/** Starts `daybook serve` on a free port and waits for /readyz; `args` are added to its flags. */
export async function startDaemon(o: {
  dataDir: string
  configDir: string
  args?: readonly string[]
}): Promise<Daemon> {
  const t0 = performance.now()
  const discovery = path.join(o.dataDir, 'daemon.json')
  rmSync(discovery, { force: true })
  // As a person runs it: through the launcher, which gives the daemon its runtime flags.
  const child = spawn(
    process.execPath,
    [
      LAUNCHER,
      'serve',
      '--port',
      '0',
      '--data-dir',
      o.dataDir,
      '--config-dir',
      o.configDir,
      '--log-level',
      'warn',
      ...(o.args ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  )
  running.add(child)
  child.once('exit', () => running.delete(child))
  while (!existsSync(discovery)) {
    if (child.exitCode !== null) throw new Error('the daemon exited')
    await sleep(5)
  }
  const { port, pid } = JSON.parse(readFileSync(discovery, 'utf8')) as { port: number; pid: number }
  for (;;) {
    const res = await get(port, '/readyz').catch(() => undefined)
    if (res?.status === 200) break
    await sleep(5)
  }
  const token = readFileSync(path.join(o.configDir, 'auth.token'), 'utf8').trim()
  return { child, pid, port, token, startedMs: t0, readyMs: performance.now() - t0 }
}

export async function stopDaemon(d: Daemon): Promise<void> {
  const exited = new Promise((resolve) => d.child.once('exit', resolve))
  d.child.kill('SIGTERM')
  await exited
}

const newAgent = () => new http.Agent({ keepAlive: true, maxSockets: 8 })
let agent = newAgent()

/** Closes the kept-alive sockets of `get` and `send` (a bench ends with this). */
export function closeAgent(): void {
  agent.destroy()
}

/** A GET to the daemon on `port`, with a bearer token when given. */
export function get(
  port: number,
  url: string,
  token?: string,
): Promise<{ status: number; body: string }> {
  return send(port, 'GET', url, token)
}

/** A request to the daemon on `port`; a JSON `body` when given. */
export function send(
  port: number,
  method: string,
  url: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  return sendOnce(port, method, url, token, body).catch((err: unknown) => {
    // A kept-alive socket the daemon closed (idle timeout) just as it was reused: send again,
    // once, on a fresh socket (benches send only reads and idempotent writes this way). The
    // bench's own thread may have been busy for seconds, so the close may not have been seen
    // yet and the write fails with EPIPE rather than a reset.
    const { reused, code } = err as { reused?: boolean; code?: string }
    if (reused || code === 'EPIPE' || code === 'ECONNRESET') {
      agent.destroy()
      agent = newAgent()
      return sendOnce(port, method, url, token, body)
    }
    throw err
  })
}

function sendOnce(
  port: number,
  method: string,
  url: string,
  token: string | undefined,
  body: unknown,
): Promise<{ status: number; body: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: url,
        agent,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload === undefined
            ? {}
            : {
                'content-type': 'application/json',
                'content-length': Buffer.byteLength(payload),
              }),
        },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (text += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
      },
    )
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(Object.assign(err, { reused: req.reusedSocket && err.code === 'ECONNRESET' })),
    )
    req.end(payload)
  })
}

/** Runs an ingest client (bench/ingest-client.ts) in a process of its own. */
export function runClient<R = ClientResult>(job: ClientJob | HeartbeatJob): Promise<R> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(import.meta.dirname, 'ingest-client.ts'), JSON.stringify(job)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as R)
        : reject(new Error(`ingest client exited ${code}`)),
    )
  })
}

/** The nearest-rank percentile `p` (0–1) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a')

/** The rows (the first is the header) as a markdown table, columns padded. */
export function markdownTable(table: readonly string[][]): string {
  const widths = table[0]?.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length))) ?? []
  const line = (r: readonly string[]) =>
    `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`
  return [
    line(table[0] ?? []),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...table.slice(1).map(line),
  ].join('\n')
}

/** What every results file starts with: when, which version, on what machine. */
export function runHeader(nowMs: number): Record<string, unknown> {
  return {
    date: new Date(nowMs).toISOString(),
    version: DAYBOOK_VERSION,
    machine: {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model,
      memGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
    },
  }
}
