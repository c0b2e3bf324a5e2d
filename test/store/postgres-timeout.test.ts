/**
 * A daemon on PostgreSQL whose statement runs past the statement timeout: the server cancels it
 * (SQLSTATE 57014), and the client gets 503 `database_timeout` with `Retry-After` — a busy server,
 * not a 500 — with nothing changed; asked again once the database is free, the same write is taken.
 * The statement cannot finish in time whatever the machine's speed: the test holds a lock on the
 * table it needs until the server has cancelled it.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import pg from 'pg'
import { type RunningDaemon, runCli, sendAs, startInProcess } from '../daemon.ts'
import { eventInput } from '../helpers.ts'
import { freshDatabase, postgresUnavailable } from '../postgres.ts'

const missing = await postgresUnavailable()

const call = (d: RunningDaemon, method: string, path: string, body?: unknown) =>
  sendAs(d, d.token, method, path, body)

test(
  'a statement past the statement timeout: 503 database_timeout with Retry-After, nothing changed',
  { skip: missing },
  async (t) => {
    const url = await freshDatabase(t)
    // Migrated first, so the daemon's own start has nothing slow to do under the short limit.
    const migrated = await runCli(['migrate'], { DAYBOOK_DATABASE_URL: url }, t)
    assert.equal(migrated.code, 0, migrated.stderr)
    const daemon = await startInProcess(t, [], {
      env: { DAYBOOK_DATABASE_URL: url, DAYBOOK_DB_STATEMENT_TIMEOUT_MS: '500' },
    })
    const batch = [eventInput({ entity_name: 'late.rs' })]

    const holder = new pg.Client({ connectionString: url })
    await holder.connect()
    try {
      // Every statement that reads or writes events waits for this lock, past its limit.
      await holder.query('BEGIN')
      await holder.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE')
      for (const [method, path, body] of [
        ['POST', '/v1/events', batch],
        ['GET', '/v1/events?preset=today', undefined],
      ] as const) {
        const res = await call(daemon, method, path, body)
        assert.equal(res.status, 503, `${method} ${path}: ${res.body}`)
        assert.equal(res.headers['retry-after'], '5')
        assert.equal((JSON.parse(res.body) as { code: string }).code, 'database_timeout')
      }
    } finally {
      await holder.end()
    }

    // Nothing of the refused write was stored: sent again, it is new, and there once.
    const resent = await call(daemon, 'POST', '/v1/events', batch)
    assert.equal(resent.status, 200, resent.body)
    assert.equal((JSON.parse(resent.body) as { inserted: number }).inserted, 1)
    const feed = await call(daemon, 'GET', '/v1/changes?after=0&limit=100')
    assert.equal(feed.status, 200, feed.body)
    const changes = (
      JSON.parse(feed.body) as { changes: { kind: string; data: { entity?: string } }[] }
    ).changes
    assert.deepEqual(
      changes.filter((c) => c.kind === 'event').map((c) => c.data.entity),
      ['late.rs'],
    )
  },
)
