/**
 * Real daemons that sync, for tests: a hub with a self-signed certificate, spokes paired with it
 * through the CLI, requests to each (a hub's TCP speaks TLS, so the tests reach it, like its own
 * CLI, over its Unix socket), and what each holds, in a form to compare.
 */
import assert from 'node:assert/strict'
import net from 'node:net'
import type { TestContext } from 'node:test'
import {
  type DaemonProcess,
  type InProcessDaemon,
  request,
  runCli,
  startDaemon,
  startInProcess,
} from '../daemon.ts'
import { freshDatabase, postgresUnavailable } from '../postgres.ts'

/** A daemon as the tests drive it, restartable in its own dirs. */
export interface Node {
  name: string
  /** A child process when the test kills it (`killable`), else in the test's process. */
  process: DaemonProcess | InProcessDaemon
  args: string[]
  killable: boolean
}

/** A free TCP port on loopback (the hub keeps its port across restarts: spokes know its URL). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/**
 * Starts a daemon for a sync test. Its retries of an unreachable hub back off to at most a second
 * (DAYBOOK_SYNC_RETRY_MAX_SEC; 10 s by default): the tests stop and restart hubs, then wait for
 * the spokes to catch up by themselves, which they then do within a second of the hub's return.
 */
export async function startNode(
  t: TestContext,
  name: string,
  args: string[] = [],
  options: { dirs?: { dataDir: string; configDir: string }; killable?: boolean } = {},
): Promise<Node> {
  const killable = options.killable ?? false
  const start = killable ? startDaemon : startInProcess
  const process = await start(t, args, {
    ...options.dirs,
    env: { DAYBOOK_SYNC_RETRY_MAX_SEC: '1' },
  })
  return { name, process, args, killable }
}

/** Where a hub keeps its diaries: its SQLite file, or a PostgreSQL database (a team server). */
export type HubStore = 'sqlite' | 'postgres'

/** The hub's stores a test runs over, each with why it skips (PostgreSQL missing here), if so. */
export async function hubStores(): Promise<[HubStore, string | undefined][]> {
  return [
    ['sqlite', undefined],
    ['postgres', await postgresUnavailable()],
  ]
}

/**
 * Starts a hub; on `postgres`, on a fresh database of the throwaway server (`test/postgres.ts`),
 * which a restart keeps. Its spokes keep their diaries in SQLite either way.
 */
export async function startHub(
  t: TestContext,
  port: number,
  store: HubStore = 'sqlite',
  options: { killable?: boolean } = {},
): Promise<Node> {
  const database = store === 'postgres' ? ['--database', await freshDatabase(t)] : []
  return startNode(
    t,
    'hub',
    ['--hub', '--tls-self-signed', '--port', String(port), ...database],
    options,
  )
}

/**
 * Stops a daemon: SIGTERM (a clean stop) or SIGKILL (as a crash, only a `killable` one); resolves
 * once it has stopped.
 */
export async function stop(node: Node, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const d = node.process
  if ('child' in d) {
    d.child.kill(signal)
    await d.exited
  } else if (signal === 'SIGTERM') await d.close()
  else throw new Error(`${node.name} runs in the test's process: start it killable to kill it`)
}

/** Starts the daemon again in the same dirs, with the same flags. */
export async function restart(t: TestContext, node: Node): Promise<void> {
  node.process = (
    await startNode(t, node.name, node.args, {
      dirs: { dataDir: node.process.dataDir, configDir: node.process.configDir },
      killable: node.killable,
    })
  ).process
}

/** One request to a node (its Unix socket when it has one), JSON in and out. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- names the body type an answer has
export async function api<T = unknown>(
  node: Node,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T; headers: Record<string, string | string[] | undefined> }> {
  const d = node.process.discovery
  const target = d.socket ? { socketPath: d.socket } : { port: d.port ?? 0 }
  const res = await request(target, {
    method,
    path,
    headers: { authorization: `Bearer ${node.process.token}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return {
    status: res.status,
    body: (res.body === '' ? undefined : JSON.parse(res.body)) as T,
    headers: res.headers,
  }
}

/** `api` that expects a 2xx. */
export async function ok<T = unknown>(
  node: Node,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await api<T>(node, method, path, body)
  assert.ok(
    res.status < 300,
    `${node.name} ${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`,
  )
  return res.body
}

/**
 * Pairs `spoke` with `hub` as a person would: `daybook pair` there (with `--user`, for that
 * user's diary on a team server), `daybook sync join` here.
 */
export async function pair(
  t: TestContext,
  hub: Node,
  spoke: Node,
  name: string,
  user?: string,
): Promise<void> {
  const dirs = (n: Node) => ['--data-dir', n.process.dataDir, '--config-dir', n.process.configDir]
  const made = await runCli(
    [
      'pair',
      '--name',
      name,
      '--json',
      ...(user === undefined ? [] : ['--user', user]),
      ...dirs(hub),
    ],
    {},
    t,
  )
  assert.equal(made.code, 0, made.stderr)
  const code = JSON.parse(made.stdout) as { url: string; code: string; fingerprint: string }
  const joined = await runCli(
    ['sync', 'join', code.url, code.code, '--fingerprint', code.fingerprint, ...dirs(spoke)],
    {},
    t,
  )
  assert.equal(joined.code, 0, joined.stderr)
}

/** Waits until `check` holds, polling; only the test's own timeout bounds the wait. */
export async function until(check: () => Promise<boolean>, pauseMs = 200): Promise<void> {
  for (;;) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, pauseMs))
  }
}

/** A range query string covering `[startMs, endMs)`. */
export function rangeQuery(startMs: number, endMs: number): string {
  return (
    `preset[custom][start]=${new Date(startMs).toISOString()}` +
    `&preset[custom][end]=${new Date(endMs).toISOString()}`
  )
}

/** An event as `GET /v1/events` lists it. */
export interface Listed {
  id: string
  device: string
  timestamp: string
  endTimestamp: string | null
  category: string
  app: string | null
  entity: string | null
  entityType: string | null
  project: string | null
  branch: string | null
  language: string | null
  source: string
}

/** Every event in the range, page after page. */
export async function listEvents(node: Node, startMs: number, endMs: number): Promise<Listed[]> {
  const out: Listed[] = []
  let after: string | undefined
  for (;;) {
    const res = await api<{ Flat: Listed[] }>(
      node,
      'GET',
      `/v1/events?${rangeQuery(startMs, endMs)}${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`,
    )
    assert.equal(res.status, 200, JSON.stringify(res.body))
    out.push(...res.body.Flat)
    const next = res.headers['daybook-next-cursor']
    if (typeof next !== 'string') return out
    after = next
  }
}

/**
 * Fields of an event line, tab-separated: a device's name may hold spaces ("work laptop"), and
 * lines split on spaces would read its first word as the name.
 */
export const FIELD = '\t'

/** Every event in the range, as `id device start end source` lines (tab-separated), sorted. */
export async function eventLines(node: Node, startMs: number, endMs: number): Promise<string[]> {
  return (await listEvents(node, startMs, endMs))
    .map((e) => [e.id, e.device, e.timestamp, e.endTimestamp ?? '', e.source].join(FIELD))
    .sort()
}

/** What a node holds and answers, for comparing nodes. */
export async function snapshot(
  node: Node,
  startMs: number,
  endMs: number,
  devices: readonly string[],
): Promise<Record<string, unknown>> {
  const range = rangeQuery(startMs, endMs)
  const total = await ok<number>(node, 'GET', `/v1/summary/total?${range}`)
  const perDevice: Record<string, number> = {}
  for (const d of devices) {
    perDevice[d] = await ok<number>(
      node,
      'GET',
      `/v1/summary/total?${range}&devices[0]=${encodeURIComponent(d)}`,
    )
  }
  const settings = await ok<Record<string, unknown>>(node, 'GET', '/v1/settings')
  const labels = await ok<{ id: string; text: string }[]>(node, 'GET', '/v1/labels?limit=1000')
  const afk = await ok<{ id: string; timestamp: string; endTimestamp: string | null }[]>(
    node,
    'GET',
    `/v1/afk?${range}`,
  )
  // Input per device, as its keys counted in the range (UTC: the same cells everywhere).
  const input: Record<string, number> = {}
  for (const d of devices) {
    const heatmap = await ok<{ cells: { keys: number }[] }>(
      node,
      'GET',
      `/v1/input/heatmap?${range}&tz=UTC&devices[0]=${encodeURIComponent(d)}`,
    )
    input[d] = heatmap.cells.reduce((sum, c) => sum + c.keys, 0)
  }
  const deviceNames = (await ok<{ id: string; name: string }[]>(node, 'GET', '/v1/devices'))
    .map((d) => `${d.id} ${d.name}`)
    .sort()
  return {
    total,
    perDevice,
    events: await eventLines(node, startMs, endMs),
    input,
    afk: afk.map((p) => `${p.id} ${p.timestamp} ${p.endTimestamp ?? ''}`).sort(),
    labels: labels.map((l) => `${l.id} ${l.text}`).sort(),
    settings: {
      timezone: settings.timezone,
      startOfDay: settings.startOfDay,
      sourcePriority: settings.sourcePriority,
      categoryRules: settings.categoryRules,
      sessionGapMinutes: settings.sessionGapMinutes,
    },
    devices: deviceNames,
  }
}
