/**
 * One diary across three real daemons on loopback: a hub (self-signed certificate; its diary in
 * SQLite or in PostgreSQL on a throwaway server, see below) and two spokes paired through the CLI.
 * Both spokes record at random while the hub is restarted, killed -9 and down for a while, and while each spoke is killed -9 in the middle of pushing or pulling; one
 * spoke renames its device while the hub is down. At the end all three hold the same rows, device
 * names among them, and answer the same totals, per device and in all, and every event a spoke
 * acknowledged is there exactly once (with the latest end acknowledged), deleted ones gone. Waits
 * are for states (readiness, progress, convergence), never for a clock; only the test's timeout
 * bounds them.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from '../daemon.ts'
import {
  FIELD,
  type Node,
  api,
  eventLines,
  freePort,
  type HubStore,
  hubStores,
  listEvents,
  ok,
  pair,
  rangeQuery,
  restart,
  snapshot,
  startHub,
  startNode,
  stop,
  until,
} from './helpers.ts'

/** A small seeded generator (mulberry32): a failure can be replayed with its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const MIN = 60_000
const HOUR = 60 * MIN
const SOURCES = ['daybook-window', 'daybook-browser', 'daybook-editor'] as const
const APPS = ['Code', 'Firefox', 'Terminal', 'Slack']
const PROJECTS = ['daybook', 'website', 'notes']

/** What a spoke acknowledged: per event (by its identity), the latest end; and what it deleted. */
interface Ledger {
  ends: Map<string, { event: Record<string, unknown>; endMs: number }>
  deleted: Set<string>
}

function identity(e: Record<string, unknown>): string {
  const at = Date.parse(e.timestamp as string)
  return JSON.stringify([at, e.category, e.app_name, e.entity_name, e.project_name, e.source_name])
}

/** Posts `count` random events (some re-sent with a later end) to a spoke, in batches. */
async function record(
  node: Node,
  ledger: Ledger,
  rand: () => number,
  count: number,
  base: number,
): Promise<void> {
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)] as T
  let batch: Record<string, unknown>[] = []
  const flush = async () => {
    if (batch.length === 0) return
    const sent = batch
    batch = []
    await ok(node, 'POST', '/v1/events', sent)
    // Acknowledged: committed on the spoke.
    for (const e of sent) {
      const key = identity(e)
      const endMs = Date.parse(e.end_timestamp as string)
      const known = ledger.ends.get(key)
      if (!known || known.endMs < endMs) ledger.ends.set(key, { event: e, endMs })
    }
  }
  for (let i = 0; i < count; i++) {
    const known = [...ledger.ends.values()]
    if (known.length > 0 && rand() < 0.15) {
      // A watcher extending the event it is in.
      const { event, endMs } = pick(known)
      if (!ledger.deleted.has(identity(event))) {
        batch.push({
          ...event,
          end_timestamp: new Date(endMs + Math.floor(rand() * 5) * MIN + 1000).toISOString(),
        })
      }
    } else {
      const start = base + Math.floor((rand() * 4 * HOUR) / 1000) * 1000
      const app = pick(APPS)
      batch.push({
        timestamp: new Date(start).toISOString(),
        end_timestamp: new Date(start + (5 + Math.floor(rand() * 600)) * 1000).toISOString(),
        category: app === 'Code' ? 'Coding' : 'General',
        app_name: app,
        entity_name: `${app.toLowerCase()}-${Math.floor(rand() * 50)}`,
        project_name: pick(PROJECTS),
        source_name: pick(SOURCES),
      })
    }
    if (batch.length >= 500) await flush()
  }
  await flush()
}

/**
 * WakaTime heartbeats of one editor, posted out of order: the spoke derives events from them and
 * derives them again as late ones arrive (ends move, events split and join); only the derived
 * events sync.
 */
async function heartbeats(node: Node, rand: () => number, count: number, base: number) {
  const times = Array.from({ length: count }, () => base + Math.floor(rand() * 40 * 60) * 1000)
  const files = ['a.ts', 'b.ts', 'c.ts']
  const body = times.map((ms) => ({
    entity: `/src/daybook/${files[Math.floor(rand() * files.length)] as string}`,
    type: 'file',
    time: ms / 1000,
    project: 'daybook',
    language: 'TypeScript',
    is_write: rand() < 0.2,
  }))
  const res = await fetchHeartbeats(node, body)
  assert.ok(res.status === 201 || res.status === 202, `${res.status} ${res.body}`)
}

async function fetchHeartbeats(node: Node, body: unknown[]) {
  const d = node.process.discovery
  const res = await request(d.socket ? { socketPath: d.socket } : { port: d.port ?? 0 }, {
    method: 'POST',
    path: '/api/v1/users/current/heartbeats.bulk',
    headers: {
      authorization: `Basic ${Buffer.from(node.process.token).toString('base64')}`,
      'user-agent':
        'wakatime/v1.102.1 (linux-6.6.4-x86_64) go1.22.5 vscode/1.95.3 vscode-wakatime/24.8.0',
    },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: res.body }
}

/**
 * Input counts in `count` random 5-minute buckets of the recorded hours, each batch id new; adds
 * the keys acknowledged to `keys` (what every daemon must count for the device, once).
 */
async function input(node: Node, keys: Map<Node, number>, rand: () => number, base: number) {
  const buckets = Array.from({ length: 12 }, (_, i) => {
    const kp = 1 + Math.floor(rand() * 200)
    return {
      // A batch id takes no spaces: the device's name as a token.
      id: `${node.name.replace(/[^A-Za-z0-9._:-]/g, '_')}-${base}-${Math.floor(rand() * 1e9)}-${i}`,
      timestamp_ms: base + Math.floor(rand() * 48) * 5 * MIN,
      lc: 1,
      rc: 0,
      mc: 0,
      kp,
      mm: 10,
      scroll: 0,
    }
  })
  const res = await ok<{ inserted: number }>(node, 'POST', '/v1/input', {
    source: 'daybook-input',
    buckets,
  })
  assert.equal(res.inserted, buckets.length)
  keys.set(node, (keys.get(node) ?? 0) + buckets.reduce((sum, b) => sum + b.kp, 0))
}

/** Deletes a few acknowledged events on a spoke, by id. */
async function deleteSome(
  node: Node,
  ledger: Ledger,
  rand: () => number,
  n: number,
  start: number,
  end: number,
) {
  const lines = await eventLines(node, start, end)
  const own = lines.filter((l) => l.split(FIELD)[1] === node.name)
  const ids: string[] = []
  for (let i = 0; i < n && own.length > 0; i++) {
    const [line] = own.splice(Math.floor(rand() * own.length), 1)
    ids.push((line as string).split(FIELD)[0] as string)
  }
  if (ids.length === 0) return
  // Which identities these were: found by listing them on the spoke.
  const listed = await api<{
    Flat: {
      id: string
      timestamp: string
      category: string
      app: string
      entity: string
      project: string
      source: string
    }[]
  }>(
    node,
    'GET',
    `/v1/events?preset[custom][start]=${new Date(start).toISOString()}&preset[custom][end]=${new Date(end).toISOString()}&limit=10000`,
  )
  const res = await ok<{ deleted: number }>(node, 'POST', '/v1/events/delete', { ids })
  assert.equal(res.deleted, ids.length)
  for (const e of listed.body.Flat.filter((x) => ids.includes(x.id))) {
    const at = Date.parse(e.timestamp)
    ledger.deleted.add(JSON.stringify([at, e.category, e.app, e.entity, e.project, e.source]))
  }
}

/**
 * What every daemon must answer, computed by a fourth daemon that was never synced: every event
 * and AFK period the hub holds, posted to it directly with its device's name. The time counted in
 * all, per hour, and by WakaTime's status bar. (Which of two overlapping events of equal priority
 * and start owns a moment is decided by their ids, made from the device's id, which the fourth
 * daemon gives its copies anew: so splits by device or app are compared between the three synced
 * daemons, which share the ids, and not with it.)
 */
async function answers(node: Node, range: readonly [number, number]) {
  const q = rangeQuery(range[0], range[1])
  const statusBar = await ok<{ data: { grand_total: { total_seconds: number } } }>(
    node,
    'GET',
    '/api/v1/users/current/statusbar/last_7_days',
  )
  return {
    total: await ok<number>(node, 'GET', `/v1/summary/total?${q}`),
    perHour: await ok(node, 'GET', `/v1/summary/buckets?${q}&bucket=hour`),
    statusBar: statusBar.data.grand_total.total_seconds,
  }
}

/** Posts everything `from` holds in the range to `to`, each row with its device's name. */
async function copyInto(to: Node, from: Node, range: readonly [number, number]) {
  const listed = await listEvents(from, range[0], range[1])
  const events = listed.map((e) => ({
    timestamp: e.timestamp,
    end_timestamp: e.endTimestamp,
    category: e.category,
    app_name: e.app,
    entity_name: e.entity,
    entity_type: e.entityType,
    project_name: e.project,
    branch_name: e.branch,
    language_name: e.language,
    source_name: e.source,
    device: e.device,
  }))
  for (let i = 0; i < events.length; i += 500) {
    await ok(to, 'POST', '/v1/events', events.slice(i, i + 500))
  }
  const afk = await ok<{ timestamp: string; endTimestamp: string | null; device: string }[]>(
    from,
    'GET',
    `/v1/afk?${rangeQuery(range[0], range[1])}`,
  )
  await ok(
    to,
    'POST',
    '/v1/afk',
    afk.map((p) => ({ afk_start: p.timestamp, afk_end: p.endTimestamp, device: p.device })),
  )
  const settings = await ok<Record<string, unknown>>(from, 'GET', '/v1/settings')
  await ok(to, 'PUT', '/v1/settings', {
    timezone: settings.timezone,
    startOfDay: settings.startOfDay,
  })
}

/** The event lines a spoke's ledger says every daemon must hold for it (ids aside). */
function expected(ledger: Ledger, device: string): string[] {
  return [...ledger.ends.entries()]
    .filter(([key]) => !ledger.deleted.has(key))
    .map(([, { event, endMs }]) =>
      [
        device,
        String(event.timestamp).replace('.000Z', 'Z'),
        new Date(endMs).toISOString().replace('.000Z', 'Z'),
        String(event.source_name),
      ].join(FIELD),
    )
    .sort()
}

const seed = Number(process.env.SYNC_SEED ?? Date.now() % 1_000_000)
// The hub's diary in SQLite or in PostgreSQL (its spokes keep theirs in SQLite), by the seed's
// parity or SYNC_HUB_STORE: this run takes minutes, and every run of the suite already puts a
// hub on each store through the sync conformance suite and test/sync/users.test.ts. Without
// PostgreSQL here (a developer's machine; CI requires it) the hub is on SQLite, and says why.
const stores = new Map(await hubStores())
const wanted = (process.env.SYNC_HUB_STORE ?? (seed % 2 === 0 ? 'sqlite' : 'postgres')) as HubStore
if (!stores.has(wanted)) throw new Error(`SYNC_HUB_STORE: no store ${JSON.stringify(wanted)}`)
const missing = stores.get(wanted)
const store: HubStore = missing === undefined ? wanted : 'sqlite'

test(
  `three daemons, the hub on ${store}: random recording through hub restarts, crashes and an outage, spokes killed mid-push and mid-pull; all converge exactly`,
  { timeout: 900_000 },
  async (t) => {
    t.diagnostic(
      `seed ${seed}, hub on ${store} (SYNC_SEED=${seed} SYNC_HUB_STORE=${store} replays it)` +
        (missing === undefined ? '' : `; not on ${wanted}: ${missing}`),
    )
    const rand = random(seed)
    // Where the time goes, for whoever makes this file faster.
    const t0 = Date.now()
    const phase = (what: string) =>
      t.diagnostic(`${((Date.now() - t0) / 1000).toFixed(1)}s: ${what}`)
    const now = Date.now()
    const base = Math.floor((now - 6 * HOUR) / HOUR) * HOUR
    const range = [base - HOUR, now + HOUR] as const

    const hubPort = await freePort()
    // The fourth daemon (never synced, see `answers`) starts with the three: it waits idle.
    const [hub, laptop, desktop, reference] = await Promise.all([
      // The hub and the spokes are killed below: processes; the reference runs in this one.
      startHub(t, hubPort, store, { killable: true }),
      startNode(t, 'laptop', [], { killable: true }),
      startNode(t, 'desktop', [], { killable: true }),
      startNode(t, 'reference'),
    ])
    await Promise.all([pair(t, hub, laptop, 'laptop'), pair(t, hub, desktop, 'desktop')])
    phase('four daemons started, two spokes paired')
    const ledgers = new Map<Node, Ledger>([
      [laptop, { ends: new Map(), deleted: new Set() }],
      [desktop, { ends: new Map(), deleted: new Set() }],
    ])
    const spokes = [laptop, desktop]
    const hubName = (await ok<{ name: string; own: boolean }[]>(hub, 'GET', '/v1/devices')).find(
      (d) => d.own,
    )?.name as string
    const devices = [hubName, 'laptop', 'desktop']
    const keys = new Map<Node, number>()
    // Each spoke records events, WakaTime heartbeats (out of order: the events derived from them
    // are derived again as late ones arrive) and input.
    const both = (n: number) =>
      Promise.all(
        spokes.map(async (s) => {
          await record(s, ledgers.get(s) as Ledger, rand, n, base)
          await heartbeats(s, rand, Math.ceil(n / 20), base + 4 * HOUR)
          await input(s, keys, rand, base)
        }),
      )

    /**
     * The devices' names and the total, as each daemon answers them: parts of the snapshot, equal
     * on all three before the whole is worth comparing (a snapshot lists every event everywhere).
     */
    const sameDevices = async (): Promise<boolean> => {
      const q = rangeQuery(range[0], range[1])
      const lists = await Promise.all(
        [hub, laptop, desktop].map(async (n) =>
          JSON.stringify([
            await ok<number>(n, 'GET', `/v1/summary/total?${q}`),
            (await ok<{ id: string; name: string }[]>(n, 'GET', '/v1/devices'))
              .map((d) => `${d.id} ${d.name}`)
              .sort(),
          ]),
        ),
      )
      return lists.every((l) => l === lists[0])
    }

    /** All three equal, and equal to what the spokes acknowledged. */
    const converged = async (): Promise<boolean> => {
      if (!(await sameDevices())) return false
      const [h, a, b] = await Promise.all(
        [hub, laptop, desktop].map((n) => snapshot(n, range[0], range[1], devices)),
      )
      if (JSON.stringify(a) !== JSON.stringify(h) || JSON.stringify(b) !== JSON.stringify(h))
        return false
      // Every acknowledged key press counted once, on its own device.
      const counted = (h as { input: Record<string, number> }).input
      if (spokes.some((s) => counted[s.name] !== (keys.get(s) ?? 0))) return false
      const events = (h as { events: string[] }).events
      for (const spoke of spokes) {
        const held = events
          .map((l) => l.split(FIELD))
          .filter((f) => f[1] === spoke.name && !(f[4] ?? '').startsWith('wakatime-'))
          .map((f) => f.slice(1).join(FIELD))
          .sort()
        if (
          JSON.stringify(held) !==
          JSON.stringify(expected(ledgers.get(spoke) as Ledger, spoke.name))
        )
          return false
      }
      return true
    }

    // Both record; the hub's own daemon records too, and settings and labels change here and there.
    await ok(hub, 'POST', '/v1/events', [
      {
        // Before the spokes' time: on one timeline a spoke's editor would own it otherwise.
        timestamp: new Date(base - 40 * MIN).toISOString(),
        end_timestamp: new Date(base - 20 * MIN).toISOString(),
        category: 'Meeting',
        app_name: 'Zoom',
        entity_name: 'standup',
        project_name: 'team',
        source_name: 'daybook-window',
      },
    ])
    await ok(laptop, 'PUT', '/v1/settings', { timezone: 'Europe/Berlin' })
    await ok(desktop, 'POST', '/v1/labels', {
      text: 'release day',
      startUtc: Math.floor(base / 1000),
      endUtc: Math.floor(base / 1000) + 3600,
    })
    await ok(laptop, 'POST', '/v1/afk', [
      {
        afk_start: new Date(base + HOUR).toISOString(),
        afk_end: new Date(base + HOUR + 20 * MIN).toISOString(),
      },
    ])
    // An AFK period the desktop has not seen end: every daemon infers its end the same way.
    await ok(desktop, 'POST', '/v1/afk', [
      { afk_start: new Date(base + 3 * HOUR + 30 * MIN).toISOString(), afk_end: null },
    ])
    await both(800)
    await until(converged)
    phase('converged after the first recording')

    // A clean restart and a crash of the hub while both keep recording.
    await Promise.all([
      both(600),
      (async () => {
        await stop(hub, 'SIGTERM')
        await restart(t, hub)
      })(),
    ])
    await Promise.all([
      both(600),
      (async () => {
        await stop(hub, 'SIGKILL')
        await restart(t, hub)
      })(),
    ])
    await until(converged)
    phase('converged after a clean restart and a crash of the hub')

    // The hub down for a while: the spokes keep recording, say they are offline, catch up after.
    await stop(hub, 'SIGKILL')
    await both(700)
    await ok(desktop, 'PUT', '/v1/settings', { startOfDay: '06:00' })
    await deleteSome(laptop, ledgers.get(laptop) as Ledger, rand, 5, range[0], range[1])
    // The laptop renamed meanwhile (issue 21): the hub and the desktop show the new name once the
    // hub is back; every check from here on names it so (a name with a space: the event lines
    // are tab-separated for it).
    const laptopId = (await ok<{ id: string; own: boolean }[]>(laptop, 'GET', '/v1/devices')).find(
      (d) => d.own,
    )?.id as string
    await ok(laptop, 'PUT', `/v1/devices/${laptopId}`, { name: 'work laptop' })
    laptop.name = 'work laptop'
    devices[devices.indexOf('laptop')] = laptop.name
    await until(async () =>
      (
        await Promise.all(spokes.map((s) => ok<{ state: string }>(s, 'GET', '/v1/sync/status')))
      ).every((s) => s.state === 'offline'),
    )
    await restart(t, hub)
    await until(converged)
    phase('converged after an outage of the hub')

    // The laptop killed -9 while pushing a large batch: once the hub has some of it, not all.
    const pushedOf = async (name: string) =>
      (
        await ok<{ clients: { name: string; pushedSeq: number; revoked: boolean }[] }>(
          hub,
          'GET',
          '/v1/sync/clients',
        )
      ).clients.find((c) => c.name === name && !c.revoked)?.pushedSeq ?? 0
    const before = await pushedOf(laptop.name)
    // Where the desktop's pulls stand before the laptop's batch: read later, the desktop might
    // have pulled all of it already (a small rest pushed at once by the restarted laptop), and
    // the wait for its next pull below would never end.
    const pulled = async () =>
      (await ok<{ pulledSeq: number }>(desktop, 'GET', '/v1/sync/status')).pulledSeq
    const pulledBefore = await pulled()
    await record(laptop, ledgers.get(laptop) as Ledger, rand, 12_000, base)
    await until(async () => (await pushedOf(laptop.name)) > before)
    const mid = await ok<{ pending: number }>(laptop, 'GET', '/v1/sync/status')
    t.diagnostic(`laptop killed with ${mid.pending} changes not yet on the hub`)
    await stop(laptop, 'SIGKILL')
    await restart(t, laptop)

    // The desktop killed -9 while pulling them: once it has some (perhaps not all).
    await until(async () => (await pulled()) > pulledBefore)
    await stop(desktop, 'SIGKILL')
    await restart(t, desktop)
    await both(300)
    await until(converged)
    phase('converged after the spokes were killed mid-push and mid-pull')

    // Every acknowledged event, once; the same totals everywhere; nothing pending.
    const final = await snapshot(hub, range[0], range[1], devices)
    const events = final.events as string[]
    assert.equal(new Set(events.map((l) => l.split(FIELD)[0])).size, events.length)
    for (const spoke of spokes) {
      const status = await ok<{ state: string; pending: number }>(spoke, 'GET', '/v1/sync/status')
      assert.equal(status.pending, 0)
    }
    for (const spoke of spokes) {
      assert.ok(
        events.some((l) => {
          const f = l.split(FIELD)
          return f[1] === spoke.name && (f[4] ?? '').startsWith('wakatime-')
        }),
        `events derived from ${spoke.name}'s heartbeats are everywhere`,
      )
      assert.ok((keys.get(spoke) ?? 0) > 0)
    }
    assert.ok(
      (final.afk as string[]).length >= 2,
      `both AFK periods everywhere: ${JSON.stringify(final.afk)}`,
    )
    const perDevice = final.perDevice as Record<string, number>
    assert.ok(
      (perDevice[laptop.name] ?? 0) > 0 &&
        (perDevice.desktop ?? 0) > 0 &&
        (perDevice[hubName] ?? 0) > 0,
      JSON.stringify(perDevice),
    )
    // Exactly as if every event had been posted to one daemon: a fourth, never synced, given
    // what the hub holds, answers the same as all three.
    await copyInto(reference, hub, range)
    const expectedAnswers = await answers(reference, range)
    assert.ok(expectedAnswers.statusBar > 0 && expectedAnswers.total > 0)
    for (const node of [hub, laptop, desktop]) {
      assert.deepEqual(await answers(node, range), expectedAnswers, node.name)
    }
    phase('the fourth daemon answers as all three')
    // The rename made on the laptop while the hub was down, on the hub and the desktop, and in
    // the hub's list of paired devices.
    for (const node of [hub, desktop]) {
      const listed = await ok<{ id: string; name: string }[]>(node, 'GET', '/v1/devices')
      assert.equal(listed.find((d) => d.id === laptopId)?.name, 'work laptop', node.name)
      assert.ok(!listed.some((d) => d.name === 'laptop'), node.name)
    }
    assert.equal((final.settings as { timezone: string }).timezone, 'Europe/Berlin')
    assert.equal((final.settings as { startOfDay: string }).startOfDay, '06:00')
    assert.deepEqual(
      (final.labels as string[]).map((l) => l.split(' ').slice(1).join(' ')),
      ['release day'],
    )
  },
)
