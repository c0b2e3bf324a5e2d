/**
 * A daemon on PostgreSQL while the database goes away and comes back: `/readyz` follows it, writes
 * meanwhile answer 503 with `Retry-After` (the sender keeps its batch and sends it again), and
 * nothing acknowledged is lost. The test stops a throwaway server of its own.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { type DaemonProcess, request, startDaemon } from '../daemon.ts'
import { eventInput } from '../helpers.ts'
import { freshDatabase, postgresUnavailable, startPostgres } from '../postgres.ts'

const missing = await postgresUnavailable()

function call(d: DaemonProcess, method: string, path: string, body?: unknown) {
  return request(
    { port: d.discovery.port as number },
    {
      method,
      path,
      headers: { authorization: `Bearer ${d.token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    },
  )
}

test(
  'the database goes away: readyz 503, writes 503 with Retry-After; back: 200, nothing lost',
  { skip: missing },
  async (t) => {
    const server = await startPostgres()
    // Stopped and removed when this process exits.
    if (typeof server === 'string') throw new Error(`no PostgreSQL server: ${server}`)
    // Registered first, so it runs before the daemon's stop: a daemon stopped while its server is
    // paused would wait on the paused server for ever, and a failed check hang the file.
    let resumed = true
    t.after(() => {
      if (!resumed) server.resume()
    })
    const url = await freshDatabase(t, server)
    const daemon = await startDaemon(t, [], { env: { DAYBOOK_DATABASE_URL: url } })
    const before = [eventInput({ entity_name: 'before.rs' })]
    const stored = await call(daemon, 'POST', '/events', before)
    assert.equal(stored.status, 200, stored.body)
    assert.equal((await call(daemon, 'GET', '/readyz')).status, 200)

    server.pause()
    resumed = false
    const ready = await call(daemon, 'GET', '/readyz')
    assert.equal(ready.status, 503)
    assert.deepEqual(JSON.parse(ready.body), {
      ok: false,
      ready: false,
      reason: 'the database does not answer',
    })
    const during = [
      eventInput({
        entity_name: 'during.rs',
        timestamp: '2025-09-11T12:40:00Z',
        end_timestamp: '2025-09-11T12:41:00Z',
        duration: 60,
      }),
    ]
    const refused = await call(daemon, 'POST', '/events', during)
    assert.equal(refused.status, 503, refused.body)
    assert.equal(refused.headers['retry-after'], '5')
    assert.equal((JSON.parse(refused.body) as { code: string }).code, 'database_unavailable')

    server.resume()
    resumed = true
    // Back once the daemon's pool reaches the server again: wait for readiness, not a clock.
    while ((await call(daemon, 'GET', '/readyz')).status !== 200) await sleep(50)
    const resent = await call(daemon, 'POST', '/events', during)
    assert.equal(resent.status, 200, resent.body)
    assert.equal((JSON.parse(resent.body) as { inserted: number }).inserted, 1)
    const feed = JSON.parse((await call(daemon, 'GET', '/v1/changes?after=0&limit=100')).body) as {
      changes: { kind: string; data: { entity?: string } }[]
    }
    assert.deepEqual(
      feed.changes
        .filter((c) => c.kind === 'event')
        .map((c) => c.data.entity)
        .sort(),
      ['before.rs', 'during.rs'],
    )
    assert.equal(daemon.child.exitCode, null, 'the daemon kept running through the outage')
  },
)
