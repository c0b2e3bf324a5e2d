import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import { resolveServeConfig } from '../../src/cli/serve.ts'
import { request, runCli, startDaemon } from '../daemon.ts'
import { countRows, tempDir } from '../helpers.ts'

describe("daybook serve: the frames server's environment variables", () => {
  test('PORT and HOST are aliases below DAYBOOK_PORT/DAYBOOK_HOST and the flags', () => {
    const seed = { PORT: '3000', HOST: '0.0.0.0' }
    assert.deepEqual(
      [resolveServeConfig([], seed).port, resolveServeConfig([], seed).host],
      [3000, '0.0.0.0'],
    )
    const both = { ...seed, DAYBOOK_PORT: '7000', DAYBOOK_HOST: '127.0.0.2' }
    assert.deepEqual(
      [resolveServeConfig([], both).port, resolveServeConfig([], both).host],
      [7000, '127.0.0.2'],
    )
    const flags = resolveServeConfig(['--port', '0', '--host', '::1'], both)
    assert.deepEqual([flags.port, flags.host], [0, '::1'])
  })

  test('ACTIVITY_DB_PATH names the database file, below --db-path and DAYBOOK_DB_PATH', () => {
    const dataDir = '/tmp/d'
    const base = ['--data-dir', dataDir]
    assert.equal(resolveServeConfig(base, {}).dbPath, '/tmp/d/daybook.db')
    assert.equal(
      resolveServeConfig(base, { ACTIVITY_DB_PATH: 'rel/act.db' }).dbPath,
      path.resolve('rel/act.db'),
    )
    assert.equal(
      resolveServeConfig(base, { ACTIVITY_DB_PATH: '/a.db', DAYBOOK_DB_PATH: '/b.db' }).dbPath,
      '/b.db',
    )
    assert.equal(
      resolveServeConfig([...base, '--db-path', '/c.db'], { DAYBOOK_DB_PATH: '/b.db' }).dbPath,
      '/c.db',
    )
  })

  test('SERVER_API_KEY, rate-limit and public-summary variables, validated', () => {
    const c = resolveServeConfig([], {
      SERVER_API_KEY: 'k',
      GET_RATE_LIMIT_MAX_REQUESTS: '20',
      GET_RATE_LIMIT_WINDOW_SEC: '10',
      DAYBOOK_PUBLIC_ACTIVITY_SUMMARY: 'true',
    })
    assert.equal(c.ingestKey, 'k')
    assert.deepEqual(c.summaryRateLimit, { limit: 20, windowMs: 10_000 })
    assert.equal(c.publicActivitySummary, true)
    const d = resolveServeConfig([], {})
    assert.equal(d.ingestKey, undefined)
    assert.deepEqual(d.summaryRateLimit, { limit: 30, windowMs: 60_000 })
    assert.equal(d.publicActivitySummary, false)
    for (const [name, value, message] of [
      ['GET_RATE_LIMIT_MAX_REQUESTS', '0', /GET_RATE_LIMIT_MAX_REQUESTS must be a whole number/],
      ['GET_RATE_LIMIT_WINDOW_SEC', 'x', /GET_RATE_LIMIT_WINDOW_SEC must be a whole number/],
      ['DAYBOOK_PUBLIC_ACTIVITY_SUMMARY', 'yes', /must be true or false/],
      ['PORT', 'eighty', /PORT must be a port number/],
    ] as const) {
      assert.throws(() => resolveServeConfig([], { [name]: value }), { message, exitCode: 2 })
    }
  })

  test('a bad variable stops the daemon with one line and exit 2', async () => {
    const r = await runCli(['serve', '--port', '0'], { GET_RATE_LIMIT_MAX_REQUESTS: '-1' })
    assert.equal(r.code, 2)
    assert.match(r.stderr, /^daybook serve: GET_RATE_LIMIT_MAX_REQUESTS must be/)
  })

  test('the real daemon: the frames client key, the database path, a public limited summary', async (t) => {
    const dbPath = path.join(tempDir(t), 'activity_monitor.db')
    const d = await startDaemon(t, [], {
      env: {
        SERVER_API_KEY: 'seed-shared-secret-123',
        ACTIVITY_DB_PATH: dbPath,
        DAYBOOK_PUBLIC_ACTIVITY_SUMMARY: 'true',
        GET_RATE_LIMIT_MAX_REQUESTS: '2',
        GET_RATE_LIMIT_WINDOW_SEC: '3600',
      },
    })
    const port = d.discovery.port ?? 0
    // Exactly what the frames C client sends.
    const frame = await request(
      { port },
      {
        method: 'POST',
        path: '/frames',
        headers: { authorization: 'seed-shared-secret-123' },
        body: JSON.stringify({
          timestamp_ms: Date.now(),
          summary: {
            total_lc: 1,
            total_rc: 0,
            total_mc: 0,
            total_scroll: 2,
            total_kp: 3,
            total_mm: 4,
          },
        }),
      },
    )
    assert.equal(frame.status, 200)
    assert.deepEqual(JSON.parse(frame.body), { message: 'ok' })
    // The ingest key writes and nothing else.
    const read = await request(
      { port },
      {
        path: '/v1/events?preset=today',
        headers: { authorization: 'Bearer seed-shared-secret-123' },
      },
    )
    assert.equal(read.status, 403)

    const first = await request({ port }, { path: '/activity/summary' })
    assert.equal(first.status, 200)
    const rows = JSON.parse(first.body).rows
    assert.equal(rows.length, 1)
    assert.deepEqual({ ...rows[0], t: 0 }, { t: 0, lc: 1, rc: 0, mc: 0, kp: 3, mm: 4, scroll: 2 })
    assert.equal((await request({ port }, { path: '/activity/summary' })).status, 200)
    const limited = await request({ port }, { path: '/activity/summary' })
    assert.equal(limited.status, 429)
    assert.ok(Number(limited.headers['retry-after']) > 3500)

    d.child.kill('SIGTERM')
    assert.equal(await d.exited, 0)
    assert.equal(existsSync(path.join(d.dataDir, 'daybook.db')), false)
    assert.equal(countRows(dbPath, 'input_activity'), 1)
  })
})
