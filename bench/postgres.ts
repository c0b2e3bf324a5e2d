/**
 * `npm run bench -- --postgres`: the team server on PostgreSQL, each figure beside a raw
 * PostgreSQL floor measured in the same run on the same server (ratios travel; times do not).
 *
 * - Server: a throwaway PostgreSQL (initdb/pg_ctl on a temp dir, a Unix socket only, as the tests
 *   start it) with a real server's durability (fsync, synchronous_commit and full-page writes on),
 *   and a real daemon on it (`daybook serve --database postgres://…`, through the launcher).
 * - Ingest: 10 users made through `/v1/users`, 5 devices each: 50 WakaTime CLIs posting bulk
 *   heartbeats (25 a request, one request in flight per device) with their user's WakaTime key,
 *   all at once, from a client process of their own. Heartbeats/s sustained and p95
 *   acknowledgement, beside the same rows into a bare table with the same columns (no index, no
 *   key): batched multi-row INSERTs (the same batches, the same 50 writers, through a pool as large
 *   as the daemon's) and one `COPY` of them all.
 * - Reads: `--users` users (20; `--quick` 2) each with the last `--days` days (92: about half a
 *   million events a user, ten million for 20) of the heavy year, posted to `/v1/events` with
 *   each user's token as fast as the daemon takes them; then the first user's year-long questions
 *   (bench/questions.ts, the SQLite bench's) p50/p95 of `--runs` and the first answer, beside raw
 *   GROUP BYs over that user's rows in a bare table with the SQLite floor's two indexes.
 *
 * Writes `bench/results/<date>-postgres[-quick].json` and prints a markdown table.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { startPostgres } from '../test/postgres.ts'
import {
  closeAgent,
  fmt,
  get,
  markdownTable,
  percentile,
  runClient,
  runHeader,
  send,
  startDaemon,
  stopDaemon,
} from './common.ts'
import {
  type BenchEvent,
  deviceHeartbeats,
  generateDay,
  generateToday,
  untilNow,
} from './generate.ts'
import type { ClientJob, HeartbeatResult } from './ingest-client.ts'
import { yearQuestions } from './questions.ts'
import { CHEAPEST_SCAN, postgresSql, rawRow } from './raw.ts'

export interface PostgresBenchOptions {
  quick: boolean
  /** Users whose years are loaded for the reads (default 20, quick 2). */
  users?: number
  /** Days of the heavy year each of them has (default 92). */
  days?: number
  /** Bulk requests each of the 50 devices posts (default 200, quick 20). */
  batches?: number
  runs: number
  log: (message: string) => void
}

const DAY = 86_400_000
const ZONE = 'Europe/Berlin'
const INGEST_USERS = 10
const DEVICES_PER_USER = 5
/** Heartbeats per bulk request: what WakaTime's CLI sends from its offline queue at most. */
const HEARTBEATS_PER_REQUEST = 25
/** The daemon's default pool (`DAYBOOK_DB_POOL_SIZE`): the raw floor writes through as many. */
const POOL_SIZE = 10
/** Days loaded into the daemon at once (each a client process of its own). */
const LOADERS = 2

const HEARTBEAT_COLUMNS = `device_id bigint, hash bytea, source text, time_ms bigint, entity text,
  type text, category text, project text, branch text, language text, is_write boolean,
  agent_id bigint, extra text, deleted boolean`
const EVENT_COLUMNS = `start_ms bigint, end_ms bigint, category text, app text, entity text,
  project text, language text, branch text, source text`

/** A multi-row INSERT of `rows` (each `width` values) into `table`. */
function insertSql(table: string, rows: number, width: number): string {
  const tuples = Array.from(
    { length: rows },
    (_, r) =>
      `(${Array.from({ length: width }, (_, c) => `$${String(r * width + c + 1)}`).join(', ')})`,
  )
  return `INSERT INTO ${table} VALUES ${tuples.join(', ')}`
}

/** A CSV field for `COPY … (FORMAT csv)`: quoted text, bytea as hex, empty for NULL. */
const csv = (v: string | number | boolean | Buffer | null): string =>
  v === null
    ? ''
    : typeof v === 'string'
      ? `"${v.replaceAll('"', '""')}"`
      : Buffer.isBuffer(v)
        ? `\\x${v.toString('hex')}`
        : String(v)

export async function runPostgresBench(o: PostgresBenchOptions): Promise<void> {
  const { log } = o
  const now = Date.now()
  const year = new Date(now).getUTCFullYear() - 1
  const yearStart = Date.UTC(year, 0, 1)
  const yearDays = (Date.UTC(year + 1, 0, 1) - yearStart) / DAY
  const readUsers = o.users ?? (o.quick ? 2 : 20)
  const days = Math.min(yearDays, o.days ?? 92)
  const firstDay = yearDays - days
  const batches = o.batches ?? (o.quick ? 20 : 200)

  // Every user's diary has a pool of its own (up to the pool size each): room for all of them.
  const server = await startPostgres({ durable: true, maxConnections: 400 })
  if (typeof server === 'string') throw new Error(`no PostgreSQL server: ${server}`)
  const dir = mkdtempSync(path.join(os.tmpdir(), 'daybook-pgbench-'))
  const admin = new pg.Client({ connectionString: server.url('postgres') })
  await admin.connect()
  await admin.query('CREATE DATABASE daybook_bench')
  await admin.end()
  const url = server.url('daybook_bench')
  // The floor's own schema first on the path: the scans name a bare `events`, which must be the
  // floor's table, not the owner's diary (the default schema) of the same name.
  const raw = new pg.Pool({
    connectionString: url,
    max: POOL_SIZE,
    options: '-c search_path=bench_raw',
  })
  await raw.query('CREATE SCHEMA bench_raw')

  const results: Record<string, unknown> = {
    ...runHeader(now),
    postgres: (await raw.query<{ v: string }>('SELECT version() AS v')).rows[0]?.v,
    loadAverageAtStart: os.loadavg(),
    data: { quick: o.quick, year, days, readUsers, ingestUsers: INGEST_USERS, batches },
  }
  const table: string[][] = [['measure', 'daybook', 'raw PostgreSQL', 'ratio', 'target']]
  const row = (...cells: string[]) => table.push(cells)

  const daemon = await startDaemon({
    dataDir: path.join(dir, 'data'),
    configDir: path.join(dir, 'config'),
    args: ['--database', url],
  })
  try {
    const owner = daemon.token
    const call = async (method: string, route: string, body?: unknown): Promise<unknown> => {
      const res = await send(daemon.port, method, route, owner, body)
      if (res.status >= 300) throw new Error(`${method} ${route}: ${res.status} ${res.body}`)
      return JSON.parse(res.body) as unknown
    }
    /** Makes a user and a token of theirs (a WakaTime key when `format` is `wakatime`). */
    const addUser = async (name: string) => call('POST', '/v1/users', { name })
    const tokenOf = async (name: string, acl: string, format?: 'wakatime') =>
      (
        (await call('POST', `/v1/users/${name}/tokens`, {
          name: `bench ${acl}`,
          acl,
          expiry: 'never',
          ...(format ? { format } : {}),
        })) as { token: string }
      ).token
    /** The rows of `table` in user `name`'s diary (its schema, `<schema>_u_<name>`). */
    const countOf = async (name: string, tableName: string) => {
      const { rows } = await raw.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${pg.escapeIdentifier(`public_u_${name}`)}.${tableName}`,
      )
      return Number(rows[0]?.n)
    }

    // ---- ingest: 50 WakaTime CLIs of 10 users ------------------------------------------
    const devices: { key: string; machine: string; user: number; device: number }[] = []
    for (let u = 0; u < INGEST_USERS; u++) {
      const name = `waka${String(u)}`
      await addUser(name)
      const key = await tokenOf(name, 'ingest', 'wakatime')
      for (let d = 0; d < DEVICES_PER_USER; d++) {
        devices.push({ key, machine: `${name}-laptop-${String(d)}`, user: u, device: d })
      }
    }
    log(`ingest: ${devices.length} devices × ${batches} bulk posts of ${HEARTBEATS_PER_REQUEST}`)
    const ingest = await runClient<HeartbeatResult>({
      kind: 'wakatime',
      port: daemon.port,
      devices,
      batches,
      batch: HEARTBEATS_PER_REQUEST,
      nowMs: now,
    })
    let stored = 0
    for (let u = 0; u < INGEST_USERS; u++)
      stored += await countOf(`waka${String(u)}`, 'wakatime_heartbeats')
    if (stored !== ingest.heartbeats) {
      throw new Error(`${ingest.heartbeats} heartbeats acknowledged, ${stored} stored`)
    }
    const rate = ingest.heartbeats / (ingest.ms / 1000)
    const ackP95 = percentile(ingest.ackMs, 0.95)

    // The raw floor: the same rows, the same batches and writers, a bare table.
    log('ingest floor: batched INSERT, then COPY')
    const rowsOf = (d: (typeof devices)[number], i: number) =>
      deviceHeartbeats(d.user, d.device, batches * HEARTBEATS_PER_REQUEST, now).map((h) => [
        i + 1,
        createHash('sha1').update(JSON.stringify(h)).digest(),
        'wakatime:vscode',
        Math.round(h.time * 1000),
        h.entity,
        h.type,
        h.category,
        h.project,
        h.branch,
        h.language,
        h.is_write,
        1,
        null,
        false,
      ])
    const deviceRows = devices.map(rowsOf)
    await raw.query(`CREATE TABLE bench_raw.heartbeats (${HEARTBEAT_COLUMNS})`)
    const insert = insertSql('bench_raw.heartbeats', HEARTBEATS_PER_REQUEST, 14)
    const floorAck: number[] = []
    const f0 = performance.now()
    await Promise.all(
      deviceRows.map(async (rows) => {
        for (let b = 0; b < batches; b++) {
          const t = performance.now()
          const chunk = rows.slice(b * HEARTBEATS_PER_REQUEST, (b + 1) * HEARTBEATS_PER_REQUEST)
          await raw.query(insert, chunk.flat())
          floorAck.push(performance.now() - t)
        }
      }),
    )
    const floorRate = ingest.heartbeats / ((performance.now() - f0) / 1000)
    // COPY from a file the server reads (a superuser's `COPY … FROM 'file'`): `pg` has no COPY
    // FROM STDIN of its own, and this needs no further dependency for one figure.
    const file = path.join(server.socketDir, 'heartbeats.csv')
    writeFileSync(
      file,
      deviceRows
        .flat()
        .map((r) => r.map(csv).join(','))
        .join('\n'),
      { mode: 0o644 },
    )
    await raw.query(`CREATE TABLE bench_raw.heartbeats_copy (${HEARTBEAT_COLUMNS})`)
    const c0 = performance.now()
    const copied = await raw.query(`COPY bench_raw.heartbeats_copy FROM '${file}' (FORMAT csv)`)
    const copyRate = (copied.rowCount ?? 0) / ((performance.now() - c0) / 1000)
    rmSync(file)
    results.ingest = {
      heartbeats: ingest.heartbeats,
      requests: ingest.requests,
      ms: ingest.ms,
      rate,
      ackP50: percentile(ingest.ackMs, 0.5),
      ackP95,
      floorRate,
      floorAckP95: percentile(floorAck, 0.95),
      copyRate,
    }
    row(
      `ingest: ${devices.length} WakaTime devices of ${INGEST_USERS} users, bulk posts of ${HEARTBEATS_PER_REQUEST} (heartbeats/s)`,
      fmt(rate, 0),
      `INSERT ${fmt(floorRate, 0)}; COPY ${fmt(copyRate, 0)}`,
      `${fmt((rate / floorRate) * 100)}% of INSERT; ${fmt((rate / copyRate) * 100)}% of COPY`,
      '≥ 30% of INSERT',
    )
    row(
      'ingest: acknowledgement p50 / p95 (ms; the floor: one batch INSERT committed)',
      `${fmt(percentile(ingest.ackMs, 0.5))} / ${fmt(ackP95)}`,
      `${fmt(percentile(floorAck, 0.5))} / ${fmt(percentile(floorAck, 0.95))}`,
      `${fmt(ackP95 / percentile(floorAck, 0.95))}× at p95`,
      '≤ 200 ms (p95)',
    )

    // ---- reads: many users' years in one database ---------------------------------------
    const readers: { name: string; ingest: string }[] = []
    for (let u = 0; u < readUsers; u++) {
      const name = `user${String(u).padStart(2, '0')}`
      await addUser(name)
      readers.push({ name, ingest: await tokenOf(name, 'ingest') })
    }
    const asked = readers[0]?.name ?? 'user00'
    const readToken = await tokenOf(asked, 'read_only')
    log(`reads: loading ${readUsers} users × ${days} days, ${LOADERS} at a time`)
    const job = (token: string): ClientJob => ({
      port: daemon.port,
      token,
      fromDay: firstDay,
      toDay: yearDays,
      startMs: yearStart,
      nowMs: now,
      concurrency: 2,
      batch: 1000,
      profile: 'heavy',
    })
    const queue = [...readers]
    let loaded = 0
    const l0 = performance.now()
    await Promise.all(
      Array.from({ length: LOADERS }, async () => {
        for (let r = queue.shift(); r !== undefined; r = queue.shift()) {
          // Awaited first: `loaded += await …` would add to the total as it was before the wait.
          const history = await runClient(job(r.ingest))
          const sofar = await runClient({ ...job(r.ingest), today: true })
          loaded += history.events + sofar.events
          log(`reads: ${r.name} loaded (${loaded} events so far)`)
        }
      }),
    )
    const loadMs = performance.now() - l0
    const askedRows = await countOf(asked, 'events')

    // The same rows as the asked user's, in a bare table with the SQLite floor's two indexes.
    await raw.query(`CREATE TABLE bench_raw.events (${EVENT_COLUMNS})`)
    await raw.query('CREATE INDEX raw_start ON bench_raw.events (start_ms)')
    await raw.query('CREATE INDEX raw_project ON bench_raw.events (project, start_ms)')
    const askedEvents: BenchEvent[] = []
    for (let d = firstDay; d < yearDays; d++) {
      askedEvents.push(...untilNow(generateDay(d, yearStart + d * DAY), now).events)
    }
    askedEvents.push(...generateToday(now).events)
    let rawLoadMs = 0
    for (let i = 0; i < askedEvents.length; i += 1000) {
      const chunk = askedEvents.slice(i, i + 1000)
      const t = performance.now()
      await raw.query(insertSql('bench_raw.events', chunk.length, 9), chunk.flatMap(rawRow))
      rawLoadMs += performance.now() - t
    }
    await raw.query('ANALYZE bench_raw.events')
    if (askedRows !== askedEvents.length) {
      log(`note: ${asked} has ${askedRows} events stored, ${askedEvents.length} posted`)
    }
    const loadRate = loaded / (loadMs / 1000)
    const rawLoadRate = askedEvents.length / (rawLoadMs / 1000)
    results.load = { events: loaded, ms: loadMs, rate: loadRate, rawRate: rawLoadRate, askedRows }
    row(
      `reads: loading ${readUsers} users' ${days} days (${fmt(loaded / 1e6, 2)} M events, events/s; floor: one writer, INSERTs of 1,000)`,
      fmt(loadRate, 0),
      fmt(rawLoadRate, 0),
      `${fmt((loadRate / rawLoadRate) * 100)}%`,
      '',
    )

    const { questions } = yearQuestions({ year, zone: ZONE, now })
    const scan = async (sql: string, range: readonly number[]) => {
      const times: number[] = []
      for (let i = 0; i < Math.min(o.runs, 5); i++) {
        const t = performance.now()
        const { rows } = await raw.query<Record<string, unknown>>(postgresSql(sql), [...range])
        times.push(performance.now() - t)
        // A floor that read nothing would flatter nothing: the year's scan must find the rows.
        if (sql === CHEAPEST_SCAN && rows.length === 0) {
          throw new Error(`the raw scan found no rows: ${sql}`)
        }
      }
      return percentile(times, 0.5)
    }
    const yearRange = questions[0]?.rawRange ?? [yearStart, yearStart + yearDays * DAY]
    const cheapest = await scan(CHEAPEST_SCAN, yearRange)
    row(
      `cheapest raw scan: one GROUP BY project over ${asked}'s year (${fmt(askedEvents.length / 1e3, 0)} k rows; ms, median of 5)`,
      '',
      fmt(cheapest),
      '',
      '',
    )
    const queryResults: Record<string, unknown>[] = []
    for (const q of questions) {
      log(`query: ${q.name}`)
      const times: number[] = []
      let bytes = 0
      for (let i = 0; i < o.runs; i++) {
        const t = performance.now()
        const res = await get(daemon.port, q.url, readToken)
        times.push(performance.now() - t)
        if (res.status !== 200) throw new Error(`${q.url}: ${res.status} ${res.body}`)
        bytes = Buffer.byteLength(res.body)
      }
      const r = {
        name: q.name,
        bytes,
        first: times[0] ?? Number.NaN,
        p50: percentile(times, 0.5),
        p95: percentile(times, 0.95),
        raw: await scan(q.raw, q.rawRange),
        cheapest,
      }
      queryResults.push(r)
      row(
        `${q.name}: first / p50 / p95 ms (shaped raw GROUP BY; of the cheapest scan)`,
        `${fmt(r.first)} / ${fmt(r.p50)} / ${fmt(r.p95)}`,
        fmt(r.raw),
        `${fmt(r.p95 / r.raw, 2)} of shaped; ${fmt(r.p95 / cheapest, 2)} of cheapest`,
        q.short ? '≤ 100 ms' : '≤ 100 ms, ≤ 0.1 of raw',
      )
    }
    results.queries = queryResults
  } finally {
    await stopDaemon(daemon)
    await raw.end()
    closeAgent()
    server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  results.loadAverageAtEnd = os.loadavg()
  results.uptime = readFileSync('/proc/loadavg', 'utf8').trim()

  const markdown = markdownTable(table)
  results.table = markdown
  const outDir = path.join(import.meta.dirname, 'results')
  mkdirSync(outDir, { recursive: true })
  const out = path.join(
    outDir,
    `${new Date(now).toISOString().slice(0, 10)}-postgres${o.quick ? '-quick' : ''}.json`,
  )
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`)
  const [l1, l5, l15] = (results.loadAverageAtStart as number[]).map((n) => n.toFixed(2))
  process.stdout.write(
    `${markdown}\n\n${readUsers} users × ${days} days of ${year} for the reads, ${INGEST_USERS} × ${DEVICES_PER_USER} WakaTime devices for the ingest (${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}; load average at the start ${l1} ${l5} ${l15}); written to ${path.relative(path.join(import.meta.dirname, '..'), out)}\n`,
  )
}
