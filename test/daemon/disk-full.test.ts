/**
 * A full disk, for real: the data dir on a small tmpfs, a real daemon ingesting until the disk is
 * full, then the tmpfs remounted larger. Needs `mount -t tmpfs` (root, as CI runs); elsewhere the
 * tests skip and say why.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { type TestContext, test } from 'node:test'
import { Courier, jsonArrayDelivery } from '../../src/collectors/core/courier.ts'
import { Outbox } from '../../src/collectors/core/outbox.ts'
import { DaybookClient } from '../../src/client/client.ts'
import { type DaemonProcess, request, startDaemon } from '../daemon.ts'
import { eventInput, tempDir } from '../helpers.ts'
import { mountTmpfs, tmpfsSkipReason } from '../tmpfs.ts'

const SKIP = tmpfsSkipReason()

interface SmallDisk {
  mountPoint: string
  dataDir: string
  /** Gives the disk `mb` megabytes in all, keeping what is on it. */
  resize: (mb: number) => void
  /** The daemon to stop before the disk is unmounted at the end. */
  daemon: DaemonProcess | undefined
}

/** A tmpfs of `mb` megabytes holding a data dir; unmounted (after its daemon stops) at the end. */
function smallDisk(t: TestContext, mb: number): SmallDisk {
  const { mountPoint, resize } = mountTmpfs(t, `${mb}m`, async () => {
    // The daemon stops before its disk goes.
    const d = disk.daemon
    if (d && d.child.exitCode === null && d.child.signalCode === null) {
      d.child.kill('SIGKILL')
      await d.exited
    }
  })
  const disk: SmallDisk = {
    mountPoint,
    dataDir: path.join(mountPoint, 'data'),
    resize: (size) => resize(`${size}m`),
    daemon: undefined,
  }
  return disk
}

const T0 = Date.parse('2025-03-01T00:00:00Z')

/** Batch `b` of 100 events, each with a name of its own (long, so the disk fills quickly). */
function batch(b: number): Record<string, unknown>[] {
  return Array.from({ length: 100 }, (_, i) => {
    const n = b * 100 + i
    return eventInput({
      timestamp: new Date(T0 + n * 60_000).toISOString(),
      end_timestamp: new Date(T0 + n * 60_000 + 30_000).toISOString(),
      duration: 30,
      entity_name: `file-${n}-${'x'.repeat(300)}`,
    })
  })
}

/** Every event's entity as stored, through the change feed. */
async function storedEntities(port: number, token: string): Promise<string[]> {
  const names: string[] = []
  for (let after = 0; ;) {
    const res = await request(
      { port },
      {
        path: `/v1/changes?after=${after}&limit=1000`,
        headers: { authorization: `Bearer ${token}` },
      },
    )
    assert.equal(res.status, 200, res.body)
    const page = JSON.parse(res.body) as {
      changes: { kind: string; data: { entity: string } }[]
      next: number
    }
    for (const c of page.changes) if (c.kind === 'event') names.push(c.data.entity)
    if (page.changes.length === 0) return names
    after = page.next
  }
}

/** Posts batches until one is refused; returns the acknowledged entities and the refusal. */
async function ingestUntilFull(port: number, token: string) {
  const acknowledged: string[] = []
  for (let b = 0; ; b++) {
    const events = batch(b)
    const res = await request(
      { port },
      {
        method: 'POST',
        path: '/v1/events',
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify(events),
      },
    )
    if (res.status !== 200) return { acknowledged, refused: { events, res } }
    for (const e of events) acknowledged.push(e.entity_name as string)
  }
}

test(
  'a full disk: 507 naming the data dir and the room needed, reads and probes answer, nothing half-written, outboxes kept, writes resume without a restart',
  { skip: SKIP },
  async (t) => {
    const disk = smallDisk(t, 3)
    const d = await startDaemon(t, [], { dataDir: disk.dataDir })
    disk.daemon = d
    const port = d.discovery.port ?? 0
    const auth = { authorization: `Bearer ${d.token}` }

    const { acknowledged, refused } = await ingestUntilFull(port, d.token)
    assert.ok(acknowledged.length > 0, 'some batches went in before the disk filled')
    assert.equal(refused.res.status, 507, refused.res.body)
    const body = JSON.parse(refused.res.body)
    assert.equal(body.code, 'disk_full')
    assert.ok(body.message.includes(disk.dataDir), body.message)
    assert.match(body.message, /free at least 16 MB there and writes resume, without a restart/)

    // The daemon runs on, and logs the failure once (on stderr, as it logs everything), not once
    // per request.
    for (let i = 0; i < 5; i++) {
      const again = await request(
        { port },
        { method: 'POST', path: '/v1/events', headers: auth, body: JSON.stringify(refused.events) },
      )
      assert.equal(again.status, 507)
    }
    assert.equal(d.child.exitCode, null, 'the daemon is still running')
    assert.equal(
      d
        .stderr()
        .split('\n')
        .filter((l) => l.includes('writes fail')).length,
      1,
    )

    // Reads and the probes answer; /readyz says why it is not ready.
    assert.equal((await request({ port }, { path: '/healthz' })).status, 200)
    const ready = await request({ port }, { path: '/readyz' })
    assert.equal(ready.status, 503)
    const readiness = JSON.parse(ready.body)
    assert.equal(readiness.ready, false)
    assert.ok(readiness.reason.includes(disk.dataDir), readiness.reason)
    const summary = await request(
      { port },
      { path: '/v1/summary/total?preset[lastNYears]=5', headers: auth },
    )
    assert.equal(summary.status, 200, summary.body)
    // Nothing half-written: every acknowledged event once, none of the refused batch.
    assert.deepEqual((await storedEntities(port, d.token)).sort(), [...acknowledged].sort())

    // A collector keeps what was refused in its outbox.
    const logs: string[] = []
    const outbox = new Outbox<Record<string, unknown>>(path.join(tempDir(t), 'outbox.json'), (l) =>
      logs.push(l),
    )
    // As large as the batch refused above: a few events may fit in pages SQLite already holds.
    const pending = batch(1_000)
    outbox.put(pending.map((e) => [e.entity_name as string, e]))
    const courier = new Courier({
      outbox,
      delivery: jsonArrayDelivery<Record<string, unknown>>('/v1/events'),
      client: () =>
        new DaybookClient({ endpoint: { baseUrl: `http://127.0.0.1:${port}` }, token: d.token }),
      target: 'the daemon',
      what: 'events',
      unit: 'event(s)',
      clock: Date.now,
      log: (l) => logs.push(l),
    })
    await courier.flush(true)
    assert.equal(outbox.size, pending.length, `kept: ${logs.join(' / ')}`)
    assert.match(logs.at(-1) ?? '', /HTTP 507: the disk holding the data dir .* is full/)
    assert.equal(
      JSON.parse(readFileSync(outbox.file, 'utf8')).items.length,
      pending.length,
      'and on disk',
    )

    // Room again: writes resume in the same daemon, and nothing acknowledged was lost.
    disk.resize(64)
    const readyAgain = await request({ port }, { path: '/readyz' })
    assert.equal(readyAgain.status, 200, readyAgain.body)
    const retried = await request(
      { port },
      { method: 'POST', path: '/v1/events', headers: auth, body: JSON.stringify(refused.events) },
    )
    assert.equal(retried.status, 200, retried.body)
    await courier.flush(true)
    assert.equal(outbox.size, 0, 'the outbox drained')
    const all = [
      ...acknowledged,
      ...refused.events.map((e) => e.entity_name as string),
      ...pending.map((e) => e.entity_name as string),
    ]
    assert.deepEqual((await storedEntities(port, d.token)).sort(), all.sort())
  },
)

test(
  'a WAL checkpoint on a full disk: a clean stop with the reason, the database and its WAL untouched',
  { skip: SKIP },
  async (t) => {
    const disk = smallDisk(t, 3)
    const configDir = path.join(tempDir(t), 'config')
    const d = await startDaemon(t, [], { dataDir: disk.dataDir, configDir })
    disk.daemon = d
    const port = d.discovery.port ?? 0
    const { acknowledged } = await ingestUntilFull(port, d.token)

    // Stopping folds the WAL into the database file, which has no room to grow.
    d.child.kill('SIGTERM')
    assert.equal(await d.exited, 0, d.stderr())
    assert.match(
      d.stderr(),
      /could not fold the write-ahead log into .*daybook\.db at close \(the disk holding the data dir .* is full.*\); it is kept beside the database and applied at the next start: nothing is lost/,
    )

    // With room, the next start has every acknowledged event, and the database is sound.
    disk.resize(64)
    const next = await startDaemon(t, [], { dataDir: disk.dataDir, configDir })
    disk.daemon = next
    const stored = await storedEntities(next.discovery.port ?? 0, next.token)
    assert.deepEqual(stored.sort(), [...acknowledged].sort())
    next.child.kill('SIGTERM')
    assert.equal(await next.exited, 0)
    const db = new DatabaseSync(path.join(disk.dataDir, 'daybook.db'), { readOnly: true })
    try {
      assert.deepEqual(
        db
          .prepare('PRAGMA integrity_check')
          .all()
          .map((r) => r.integrity_check),
        ['ok'],
      )
    } finally {
      db.close()
    }
  },
)
