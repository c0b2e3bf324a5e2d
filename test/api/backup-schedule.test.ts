/**
 * Scheduled backups (the `backups` setting) through the HTTP layer on a real SQLite file: off by
 * default, bad values refused naming the field, one backup per slot of the daemon's clock (moved
 * by the test), pruning that keeps the newest scheduled ones and nothing else, no second backup for
 * a slot after a restart, and a failure (a directory it cannot write, a full disk) reported once
 * and retried next slot. On PostgreSQL the
 * setting is refused.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import { DatabaseSync } from 'node:sqlite'
import { describe, test } from 'node:test'
import { gunzipSync } from 'node:zlib'
import { buildApp } from '../../src/api/app.ts'
import { StaticKeyAuthenticator } from '../../src/auth/default-token.ts'
import { openStore } from '../../src/store/open.ts'
import { eventInput, startApp, tempDir, type TestApp } from '../helpers.ts'
import { freshDatabase, postgresUnavailable } from '../postgres.ts'
import { mountTmpfs, tmpfsSkipReason } from '../tmpfs.ts'

const HOUR = 3_600_000
/** 10:00 UTC: with backups every 6 hours, the slot began at 06:00 and the next is at 12:00. */
const T0 = Date.parse('2025-03-01T10:00:00Z')

interface BackupsStatus {
  enabled: boolean
  everyHours: number
  keep: number
  dir: string
  last: { file: string; bytes: number; createdAt: string; scheduled: boolean } | null
  next: string | null
  failure: { at: string; message: string } | null
}

async function status(app: TestApp): Promise<BackupsStatus> {
  const res = await app.call({ method: 'GET', url: '/v1/status' })
  assert.equal(res.statusCode, 200, res.body)
  return res.json<{ backups: BackupsStatus }>().backups
}

async function listed(app: TestApp) {
  const res = await app.call({ method: 'GET', url: '/v1/backups' })
  assert.equal(res.statusCode, 200, res.body)
  return res.json<{
    dir: string
    backups: { file: string; createdAt: string; scheduled: boolean }[]
  }>()
}

function putBackups(app: TestApp, backups: unknown) {
  return app.call({ method: 'PUT', url: '/v1/settings', payload: { backups } })
}

/** Error lines the app logs, as JSON records. */
function logSink(): { lines: { msg: string }[]; logger: { level: string; stream: Writable } } {
  const lines: { msg: string }[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as { msg: string })
      }
      done()
    },
  })
  return { lines, logger: { level: 'error', stream } }
}

describe('scheduled backups', () => {
  test('off by default; bad values are a 422 naming the field and change nothing', async (t) => {
    const app = await startApp(t, { now: T0, backupCheckMs: 3_600_000 })
    const off = await status(app)
    assert.equal(off.enabled, false)
    assert.equal(off.next, null)
    assert.equal(off.last, null)
    assert.equal(off.dir, path.join(app.dir, 'backups'))
    const before = (await app.call({ method: 'GET', url: '/v1/settings' })).json()
    assert.deepEqual(before.backups, { enabled: false, everyHours: 24, keep: 7, dir: null })

    const good = { enabled: true, everyHours: 6, keep: 2, dir: path.join(app.dir, 'b') }
    for (const [bad, field] of [
      [{ ...good, everyHours: 0 }, 'body/backups/everyHours'],
      [{ ...good, everyHours: 1.5 }, 'body/backups/everyHours'],
      [{ ...good, keep: 0 }, 'body/backups/keep'],
      [{ ...good, enabled: 'yes' }, 'body/backups/enabled'],
      [{ ...good, dir: 'relative/dir' }, 'backups/dir'],
      [{ ...good, dir: '' }, 'body/backups/dir'],
      [{ ...good, often: true }, 'body/backups/often'],
      [{ enabled: true }, 'body/backups/everyHours'],
    ] as const) {
      const res = await putBackups(app, bad)
      assert.equal(res.statusCode, 422, `${JSON.stringify(bad)}: ${res.body}`)
      assert.equal(res.json().field, field, res.body)
    }
    assert.deepEqual((await app.call({ method: 'GET', url: '/v1/settings' })).json(), before)
    assert.equal((await status(app)).enabled, false)
    assert.deepEqual(readdirSync(app.dir).includes('b'), false)
  })

  test('one backup per slot of the clock; the newest `keep` scheduled ones are kept, nothing else is touched; a restart takes none twice', async (t) => {
    const app = await startApp(t, { now: T0, backupCheckMs: 3_600_000 })
    const dir = path.join(tempDir(t), 'backups')
    const res = await app.call({
      method: 'POST',
      url: '/v1/events',
      payload: [
        eventInput({ timestamp: '2025-03-01T09:00:00Z', end_timestamp: '2025-03-01T09:02:00Z' }),
      ],
    })
    assert.equal(res.statusCode, 200, res.body)

    // Turned on: the current slot's backup is taken at once.
    const on = await putBackups(app, { enabled: true, everyHours: 6, keep: 2, dir })
    assert.equal(on.statusCode, 200, on.body)
    await app.app.daybook.backups.check()
    let s = await status(app)
    assert.equal(s.enabled, true)
    assert.equal(s.dir, dir)
    assert.equal(s.last?.createdAt, '2025-03-01T10:00:00Z')
    assert.equal(s.last?.scheduled, true)
    assert.ok((s.last?.bytes ?? 0) > 0)
    assert.equal(s.next, '2025-03-01T12:00:00Z')
    assert.equal(s.failure, null)
    // The backup is the database: the event is in it.
    const copy = path.join(tempDir(t), 'copy.db')
    writeFileSync(copy, gunzipSync(readFileSync(s.last?.file ?? '')))
    const db = new DatabaseSync(copy, { readOnly: true })
    assert.deepEqual({ ...db.prepare('SELECT count(*) AS n FROM events').get() }, { n: 1 })
    db.close()

    // The same slot again: nothing new.
    app.setNow(T0 + HOUR)
    assert.equal(await app.app.daybook.backups.check(), undefined)
    // A backup asked for, and a file the daemon did not write, share the directory.
    app.setNow(T0 + HOUR + 60_000)
    const manual = await app.call({ method: 'POST', url: '/v1/backups', payload: {} })
    assert.equal(manual.statusCode, 200, manual.body)
    assert.equal(path.dirname(manual.json().file), dir)
    assert.equal(manual.json().scheduled, false)
    writeFileSync(path.join(dir, 'daybook-mine.db.gz'), 'not ours')

    for (const hour of [12, 18]) {
      app.setNow(Date.parse(`2025-03-01T${hour}:00:30Z`))
      const taken = await app.app.daybook.backups.check()
      assert.equal(taken?.scheduled, true, `a backup at ${hour}:00`)
    }
    const list = await listed(app)
    assert.equal(list.dir, dir)
    assert.deepEqual(
      list.backups.map((b) => [b.createdAt, b.scheduled]),
      [
        ['2025-03-01T18:00:30Z', true],
        ['2025-03-01T12:00:30Z', true],
        ['2025-03-01T11:01:00Z', false],
      ],
    )
    assert.ok(readdirSync(dir).includes('daybook-mine.db.gz'))
    s = await status(app)
    assert.equal(s.last?.createdAt, '2025-03-01T18:00:30Z')
    assert.equal(s.next, '2025-03-02T00:00:00Z')

    // A restart in the same slot takes no second backup.
    await app.app.close()
    const again = await startApp(t, {
      now: Date.parse('2025-03-01T19:00:00Z'),
      dir: app.dir,
      backupCheckMs: 3_600_000,
    })
    assert.equal(await again.app.daybook.backups.check(), undefined)
    assert.equal((await listed(again)).backups.filter((b) => b.scheduled).length, 2)
    assert.equal((await status(again)).next, '2025-03-02T00:00:00Z')
  })

  test('a directory it cannot write: reported in the status and the log once, tried again next slot', async (t) => {
    const sink = logSink()
    const app = await startApp(t, { now: T0, backupCheckMs: 3_600_000, logger: sink.logger })
    const root = tempDir(t)
    // A file where a directory should be: not writable whoever runs the test.
    writeFileSync(path.join(root, 'blocked'), '')
    const dir = path.join(root, 'blocked', 'backups')
    const on = await putBackups(app, { enabled: true, everyHours: 6, keep: 3, dir })
    assert.equal(on.statusCode, 200, on.body)
    await app.app.daybook.backups.check()
    let s = await status(app)
    assert.equal(s.last, null)
    assert.equal(s.failure?.at, '2025-03-01T10:00:00Z')
    assert.match(s.failure?.message ?? '', /ENOTDIR|not a directory/)
    assert.equal(s.next, '2025-03-01T12:00:00Z')

    // Not again in the same slot; in the next one it is tried again (and fails the same way).
    app.setNow(T0 + HOUR)
    await app.app.daybook.backups.check()
    app.setNow(T0 + 2 * HOUR)
    await app.app.daybook.backups.check()
    s = await status(app)
    assert.equal(s.failure?.at, '2025-03-01T12:00:00Z')
    const logged = sink.lines.filter((l) => l.msg === 'the scheduled backup failed')
    assert.equal(logged.length, 1, JSON.stringify(sink.lines))

    // The disk is fixed: the next slot's backup is taken and the failure is gone.
    rmSync(path.join(root, 'blocked'))
    mkdirSync(path.join(root, 'blocked'))
    app.setNow(T0 + 8 * HOUR)
    const taken = await app.app.daybook.backups.check()
    assert.equal(taken?.scheduled, true)
    s = await status(app)
    assert.equal(s.failure, null)
    assert.equal(s.last?.createdAt, '2025-03-01T18:00:00Z')
  })

  test(
    'a full disk: reported, the partial file removed, and the next slot backs up once there is room',
    { skip: tmpfsSkipReason() },
    async (t) => {
      const app = await startApp(t, { now: T0, backupCheckMs: 3_600_000 })
      // Smaller than the database: the copy cannot be written.
      const disk = mountTmpfs(t, '16k')
      const on = await putBackups(app, {
        enabled: true,
        everyHours: 6,
        keep: 3,
        dir: disk.mountPoint,
      })
      assert.equal(on.statusCode, 200, on.body)
      await app.app.daybook.backups.check()
      let s = await status(app)
      assert.equal(s.last, null)
      assert.match(s.failure?.message ?? '', /full|ENOSPC/i)
      assert.deepEqual(readdirSync(disk.mountPoint), [])

      disk.resize('64m')
      app.setNow(T0 + 2 * HOUR)
      assert.equal((await app.app.daybook.backups.check())?.scheduled, true)
      s = await status(app)
      assert.equal(s.failure, null)
      assert.equal(s.last?.createdAt, '2025-03-01T12:00:00Z')
    },
  )
})

test('what backups killed half-way left is swept at start: raw copies, their journals and parts of daemons that are gone; a live daemon’s stay', async (t) => {
  const first = await startApp(t)
  const dir = path.join(tempDir(t), 'scheduled')
  const on = await putBackups(first, { enabled: true, everyHours: 8784, keep: 1, dir })
  assert.equal(on.statusCode, 200, on.body)
  await first.app.daybook.backups.check()
  await first.app.close()

  const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e'
  const defaultDir = path.join(first.dir, 'backups')
  mkdirSync(defaultDir, { recursive: true })
  const name = (stamp: string, pid: number, ext: string) =>
    `.daybook-${stamp}Z.db.gz.${pid}-${uuid}.${ext}`
  // A pid no process has (above the kernel's largest), the test runner's (alive), and this
  // process's, which is the next daemon's own (a container's daemon has the same pid at every
  // start).
  const gone = 4_194_305
  const stale = [
    path.join(defaultDir, name('20250301T090000', gone, 'db')),
    path.join(defaultDir, name('20250301T090000', gone, 'part')),
    // SQLite's rollback journal beside a raw copy killed while it was written
    path.join(defaultDir, name('20250301T090000', gone, 'db-journal')),
    path.join(dir, name('20250301T110000', process.pid, 'db')),
  ]
  const kept = [
    path.join(defaultDir, name('20250301T100000', process.ppid, 'part')),
    path.join(dir, `.notes.${gone}-${uuid}.txt`),
  ]
  for (const f of [...stale, ...kept]) writeFileSync(f, 'half a backup')

  const second = await startApp(t, { dir: first.dir })
  await second.app.ready()
  for (const f of stale) assert.ok(!existsSync(f), `${path.basename(f)} is swept`)
  for (const f of kept) assert.ok(existsSync(f), `${path.basename(f)} stays`)
  // Backups are still taken, and leave nothing behind.
  const made = await second.call({ method: 'POST', url: '/v1/backups', payload: {} })
  assert.equal(made.statusCode, 200, made.body)
  const hidden = readdirSync(defaultDir).filter((n) => n.startsWith('.'))
  assert.deepEqual(hidden, [path.basename(kept[0] ?? '')])
})

test('the schedule is this machine’s: an export leaves it out and an import does not apply it', async (t) => {
  const app = await startApp(t, { now: T0, backupCheckMs: 3_600_000 })
  const dir = path.join(tempDir(t), 'backups')
  const on = await putBackups(app, { enabled: true, everyHours: 24, keep: 3, dir })
  assert.equal(on.statusCode, 200, on.body)
  const exported = await app.call({ method: 'GET', url: '/v1/export?format=daybook' })
  assert.equal(exported.statusCode, 200)
  const settings = exported.body
    .split('\n')
    .map((l) => (l === '' ? {} : (JSON.parse(l) as { type?: string; settings?: object })))
    .find((r) => r.type === 'settings')
  assert.ok(settings?.settings && !('backups' in settings.settings), exported.body.slice(0, 500))

  const other = await startApp(t, { now: T0, backupCheckMs: 3_600_000 })
  const header = { type: 'header', format: 'daybook', version: 1, exportedAt: '', schema: 0 }
  const record = {
    type: 'settings',
    settings: { sessionGapMinutes: 20, backups: { enabled: true, everyHours: 1, keep: 1, dir } },
  }
  const res = await other.call({
    method: 'POST',
    url: '/v1/import?name=old.ndjson',
    headers: { 'content-type': 'application/octet-stream' },
    payload: `${JSON.stringify(header)}\n${JSON.stringify(record)}\n`,
  })
  assert.equal(res.statusCode, 200, res.body)
  const after = (await other.call({ method: 'GET', url: '/v1/settings' })).json()
  assert.equal(after.sessionGapMinutes, 20)
  assert.equal(after.backups.enabled, false)
})

const missing = await postgresUnavailable()

test(
  'on PostgreSQL the backups setting is refused, naming pg_dump',
  { skip: missing },
  async (t) => {
    const store = await openStore({ driver: 'postgres', url: await freshDatabase(t) })
    await store.migrate()
    const app = await buildApp({
      store,
      clock: () => T0,
      authenticator: new StaticKeyAuthenticator(() => 'pg-admin-token-0123456789'),
    })
    t.after(() => app.close())
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/settings',
      headers: { authorization: 'Bearer pg-admin-token-0123456789' },
      payload: { backups: { enabled: true, everyHours: 24, keep: 7, dir: null } },
    })
    assert.equal(res.statusCode, 409, res.body)
    assert.equal(res.json().code, 'backup_use_pg_dump')
    const settings = await app.inject({
      method: 'GET',
      url: '/v1/settings',
      headers: { authorization: 'Bearer pg-admin-token-0123456789' },
    })
    assert.equal(settings.json().backups.enabled, false)
  },
)
