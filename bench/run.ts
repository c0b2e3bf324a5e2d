/**
 * `npm run bench`: how fast Daybook ingests and answers, each next to a baseline measured in the
 * same run on the same machine, so the numbers mean something wherever they are run.
 *
 * - Ingest: `POST /v1/events` batches through the whole HTTP stack into a real SQLite file, against
 *   the floor: the same rows inserted by raw prepared statements in one transaction.
 * - Summaries: `GET /v1/summary/buckets` over a month and a year of overlapping editor, browser
 *   and window events with AFK, against the seed's naive SQL (sum of clipped durations per day),
 *   which is fast but counts overlaps twice and ignores AFK.
 *
 * Options: BENCH_DAYS (default 365), BENCH_EVENTS_PER_DAY (default 600).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { buildApp } from '../src/api/app.ts'
import { StaticKeyAuthenticator } from '../src/auth/default-token.ts'
import { openStore } from '../src/store/open.ts'

const DAYS = Number(process.env.BENCH_DAYS ?? 365)
const PER_DAY = Number(process.env.BENCH_EVENTS_PER_DAY ?? 600)
const BATCH = 1000
const DAY_MS = 86_400_000
const END = Date.parse('2025-12-31T00:00:00Z')
const START = END - DAYS * DAY_MS

/** A deterministic pseudo-random history: a working day of editor, browser and window events. */
interface BenchEvent {
  timestamp: string
  end_timestamp: string
  category: string
  app_name: string
  entity_name: string
  project_name: string
  language_name: string | null
  branch_name: string
  source_name: string
}

function* history(): Generator<BenchEvent> {
  let seed = 42
  const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
  const sources = ['skopio-vscode', 'daybook-browser', 'skopio-desktop'] as const
  const apps = { 'skopio-vscode': 'Code', 'daybook-browser': 'Firefox', 'skopio-desktop': 'iTerm2' }
  for (let day = 0; day < DAYS; day++) {
    const dayStart = START + day * DAY_MS + 8 * 3_600_000
    for (let i = 0; i < PER_DAY; i++) {
      const source = sources[Math.floor(rand() * 3)] ?? 'skopio-desktop'
      const start = dayStart + Math.floor(rand() * 10 * 3_600_000)
      const length = 5_000 + Math.floor(rand() * 600_000)
      yield {
        timestamp: new Date(start).toISOString(),
        end_timestamp: new Date(start + length).toISOString(),
        category: source === 'daybook-browser' ? 'Browsing' : 'Coding',
        app_name: apps[source],
        entity_name: `file-${Math.floor(rand() * 200)}.ts`,
        project_name: `project-${Math.floor(rand() * 12)}`,
        language_name: source === 'daybook-browser' ? null : 'TypeScript',
        branch_name: 'main',
        source_name: source,
      }
    }
  }
}

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now()
  const out = fn()
  return [out, performance.now() - t0]
}

async function timeAsync<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now()
  const out = await fn()
  return [out, performance.now() - t0]
}

const rows: string[][] = [['measure', 'daybook', 'baseline', 'ratio']]
const report = (name: string, ours: string, base: string, ratio: number) =>
  rows.push([name, ours, base, `${ratio.toFixed(2)}×`])

const dir = mkdtempSync(path.join(os.tmpdir(), 'daybook-bench-'))
try {
  const store = await openStore({ driver: 'sqlite', file: path.join(dir, 'daybook.db') })
  await store.migrate()
  const app = await buildApp({ store, authenticator: new StaticKeyAuthenticator(() => 'bench') })
  const headers = { authorization: 'Bearer bench' }

  // Ingest through HTTP.
  const all = [...history()]
  let ingestMs = 0
  for (let i = 0; i < all.length; i += BATCH) {
    const payload = all.slice(i, i + BATCH)
    const [res, ms] = await timeAsync(() =>
      app.inject({ method: 'POST', url: '/v1/events', payload, headers }),
    )
    if (res.statusCode !== 200) throw new Error(res.body)
    ingestMs += ms
  }

  // Baseline: the same rows, raw inserts into a bare table, one transaction per batch.
  const raw = new DatabaseSync(path.join(dir, 'raw.db'))
  raw.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL')
  raw.exec(`CREATE TABLE events (id INTEGER PRIMARY KEY, start_ms INTEGER, end_ms INTEGER, app TEXT,
    project TEXT, entity TEXT, language TEXT, source TEXT, category TEXT)`)
  raw.exec('CREATE INDEX raw_start ON events (start_ms)')
  const insert = raw.prepare(
    'INSERT INTO events (start_ms, end_ms, app, project, entity, language, source, category) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  )
  const [, rawMs] = time(() => {
    for (let i = 0; i < all.length; i += BATCH) {
      raw.exec('BEGIN')
      for (const e of all.slice(i, i + BATCH)) {
        insert.run(
          Date.parse(e.timestamp),
          Date.parse(e.end_timestamp),
          e.app_name,
          e.project_name,
          e.entity_name,
          e.language_name,
          e.source_name,
          e.category,
        )
      }
      raw.exec('COMMIT')
    }
  })
  const perSec = (n: number, ms: number) =>
    `${Math.round((n / ms) * 1000).toLocaleString('en')} ev/s`
  report(
    `ingest ${all.length.toLocaleString('en')} events (HTTP, ${BATCH}/batch)`,
    perSec(all.length, ingestMs),
    perSec(all.length, rawMs),
    ingestMs / rawMs,
  )

  await app.inject({
    method: 'POST',
    url: '/v1/afk',
    headers,
    payload: Array.from({ length: DAYS }, (_, d) => ({
      afk_start: new Date(START + d * DAY_MS + 12 * 3_600_000).toISOString(),
      afk_end: new Date(START + d * DAY_MS + 13 * 3_600_000).toISOString(),
    })),
  })

  // Summaries over a month and over the whole history, against the seed's naive per-day SQL.
  const naive = raw.prepare(`
    WITH RECURSIVE days(d) AS (SELECT $start UNION ALL SELECT d + 86400000 FROM days WHERE d + 86400000 < $end)
    SELECT d, SUM(min(end_ms, d + 86400000) - max(start_ms, d)) / 1000 AS seconds
    FROM days JOIN events ON end_ms > d AND start_ms < d + 86400000
    GROUP BY d`)
  for (const [label, days] of [
    ['a month', Math.min(30, DAYS)],
    [`${DAYS} days`, DAYS],
  ] as const) {
    const start = new Date(END - days * DAY_MS).toISOString()
    const end = new Date(END).toISOString()
    const url = `/v1/summary/buckets?preset[custom][start]=${start}&preset[custom][end]=${end}&preset[custom][bucket]=day&tz=UTC&groupBy=project`
    await app.inject({ url, headers }) // warm-up
    const [res, ms] = await timeAsync(() => app.inject({ url, headers }))
    if (res.statusCode !== 200) throw new Error(res.body)
    naive.all({ start: END - days * DAY_MS, end: END })
    const [, baseMs] = time(() => naive.all({ start: END - days * DAY_MS, end: END }))
    report(
      `day buckets by project, ${label}`,
      `${ms.toFixed(0)} ms`,
      `${baseMs.toFixed(0)} ms`,
      ms / baseMs,
    )
  }
  raw.close()
  await app.close()
} finally {
  rmSync(dir, { recursive: true, force: true })
}

const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? []
console.log(
  `Daybook bench: ${DAYS} days × ${PER_DAY} events/day, Node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}`,
)
console.log(
  "baseline: raw SQLite inserts (ingest); the seed's naive SQL sum, which double-counts overlaps (summaries)\n",
)
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '))
