/**
 * End to end: a real X server (Xvfb) with a real EWMH window manager (openbox), real windows,
 * focus switched with xdotool, the real daemon and `daybook watch window afk`: the daemon must
 * store the focused app and title with the right boundaries, a retitled window as a new event,
 * and time away as an AFK period that ends the window event at its start. Skips, saying why,
 * where a tool is missing (`.ci/run` installs them).
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { test } from 'node:test'
import type { InputItem } from '../../src/collectors/input/deliveries.ts'
import { cleanEnv, request, runCli, startDaemon } from '../daemon.ts'
import { x11Desktop } from '../../src/collectors/platform/x11-desktop.ts'
import { exited, reap, startX, until } from './x11.ts'

const MAIN = path.join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts')
const WINDOW = path.join(import.meta.dirname, '..', 'fixtures', 'x11-window.cjs')

interface WindowItem {
  timestamp: string
  end_timestamp: string
  entity_name: string
}

interface StoredEvent {
  timestamp: string
  endTimestamp: string
  app: string
  entity: string
  entityType: string
  source: string
}

test('the window and AFK watchers record focus, titles and time away under a real window manager', async (t) => {
  const x = await startX(t, ['xdotool', 'xprop'], 'openbox')
  if ('skip' in x) return t.skip(x.skip)
  const env = { ...process.env, DISPLAY: x.display }
  const xdotool = (...args: string[]) => {
    const r = spawnSync('xdotool', args, { env })
    assert.equal(r.status, 0, `xdotool ${args.join(' ')}: ${r.stderr.toString()}`)
  }
  let px = 100
  /** Real input: it resets the X server's idle time, as a person's would. */
  const nudge = () => xdotool('mousemove', String((px = px === 100 ? 101 : 100)), '300')

  /** A real window; resolves once mapped, with a way to retitle it. */
  const openWindow = async (cls: string, title: string) => {
    const child: ChildProcess = spawn(process.execPath, [WINDOW, cls, title], {
      env,
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    reap(t, child)
    const id = await new Promise<string>((resolve) =>
      child.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim())),
    )
    return {
      id,
      retitle: async (text: string) => {
        child.stdin?.write(`title ${text}\n`)
        await new Promise((resolve) => child.stdout?.once('data', resolve))
      },
    }
  }

  const d = await startDaemon(t)
  let port = d.discovery.port ?? 0
  const get = async <T>(url: string): Promise<T> => {
    const res = await request(
      { port },
      { path: url, headers: { authorization: `Bearer ${d.token}` } },
    )
    assert.equal(res.status, 200, res.body)
    return JSON.parse(res.body) as T
  }
  const events = async () =>
    (await get<{ Flat: StoredEvent[] }>('/v1/events?preset=today')).Flat.filter(
      (e) => e.source === 'daybook-window',
    )
  const eventOf = (entity: string) => async () => (await events()).find((e) => e.entity === entity)

  const alpha = await openWindow('Alpha', 'alpha — notes.txt')
  const beta = await openWindow('Beta', 'beta — report.md')
  nudge()
  xdotool('windowactivate', '--sync', alpha.id)

  const watch = () => {
    const child = spawn(
      process.execPath,
      [
        MAIN,
        'watch',
        '--afk-timeout',
        '3',
        '--sample-ms',
        '100',
        '--flush-sec',
        '1',
        '--data-dir',
        d.dataDir,
        '--config-dir',
        d.configDir,
      ],
      { env: cleanEnv({ DISPLAY: x.display }), stdio: ['ignore', 'ignore', 'pipe'] },
    )
    reap(t, child)
    return child
  }
  let watcher = watch()
  reap(t, watcher)
  let log = ''
  watcher.stderr?.on('data', (b: Buffer) => (log += b.toString()))
  await until('the watcher to send', async () => {
    if (watcher.exitCode !== null) throw new Error(`watcher exited: ${log}`)
    nudge()
    return (await eventOf('alpha — notes.txt')()) ? true : undefined
  })

  // Focus moves to Beta: Alpha's event ends where Beta's begins, when the switch happened. Bounds
  // are what the test saw (before the switch, when the Beta event was first read), never a fixed
  // delay: a loaded machine notices later, and that is not wrong.
  nudge()
  const switchedAt = Date.now()
  xdotool('windowactivate', '--sync', beta.id)
  nudge()
  // A person at work keeps giving input; an event is extended only as far as the last input.
  const present = (entity: string) => async () => {
    nudge()
    return eventOf(entity)()
  }
  const betaEvent = await until('the Beta event', present('beta — report.md'))
  const betaSeenAt = Date.now()
  assert.equal(betaEvent.app, 'Beta')
  assert.equal(betaEvent.entityType, 'App')
  // Alpha's last end is when focus left it (at or after the switch); an extension sent before
  // the switch ends earlier. The window manager may leave nothing focused for a moment, so Beta
  // begins at or after Alpha's end, never before.
  const alphaEvent = await until('the Alpha event to end', async () => {
    const e = await eventOf('alpha — notes.txt')()
    return e && Date.parse(e.endTimestamp) >= switchedAt ? e : undefined
  })
  assert.equal(alphaEvent.app, 'Alpha')
  const betaStart = Date.parse(betaEvent.timestamp)
  const alphaEnd = Date.parse(alphaEvent.endTimestamp)
  assert.ok(
    alphaEnd <= betaStart,
    `Alpha ends at ${alphaEvent.endTimestamp}, after Beta begins at ${betaEvent.timestamp}`,
  )
  t.diagnostic(
    `Alpha ended ${alphaEnd - switchedAt} ms and Beta began ${betaStart - switchedAt} ms after the focus moved`,
  )
  assert.ok(
    betaStart >= switchedAt - 1000 && betaStart <= betaSeenAt,
    `Beta began at ${betaEvent.timestamp}; focus moved at ${new Date(switchedAt).toISOString()}, seen at ${new Date(betaSeenAt).toISOString()}`,
  )

  // A new title is a new event.
  nudge()
  await beta.retitle('beta — report-v2.md')
  nudge()
  await until('the retitled event', present('beta — report-v2.md'))

  // No input for longer than the AFK timeout: an AFK period from the last input, and the window
  // event ends there.
  // The X server's idle counter dates the input, so the period starts between the moments
  // around the last nudge (within the counter's and the API's second rounding).
  const beforeLast = Date.now()
  nudge()
  const lastInput = Date.now()
  const afk = await until('an AFK period', async () => {
    const periods =
      await get<{ timestamp: string; endTimestamp: string | null }[]>('/v1/afk?preset=today')
    return periods.find((p) => Date.parse(p.timestamp) >= beforeLast - 1000)
  })
  const afkStart = Date.parse(afk.timestamp)
  assert.ok(afkStart >= beforeLast - 1000 && afkStart <= lastInput + 1000, JSON.stringify(afk))
  const beforeAway = await until('the window event to end at the AFK start', async () => {
    const e = await eventOf('beta — report-v2.md')()
    return e && Math.abs(Date.parse(e.endTimestamp) - Date.parse(afk.timestamp)) <= 1000
      ? e
      : undefined
  })
  assert.ok(Date.parse(beforeAway.endTimestamp) <= Date.parse(afk.timestamp) + 1000)

  // Back: the period closes at the input.
  const beforeBack = Date.now()
  nudge()
  const back = Date.now()
  const closed = await until('the AFK period to close', async () => {
    const periods =
      await get<{ timestamp: string; endTimestamp: string | null }[]>('/v1/afk?preset=today')
    const p = periods.find((q) => q.timestamp === afk.timestamp)
    return p?.endTimestamp ? p : undefined
  })
  const closedAt = Date.parse(closed.endTimestamp ?? '')
  if (closedAt < beforeBack - 1500 || closedAt > back + 1500) {
    assert.fail(
      `${JSON.stringify(closed)}; back at ${new Date(beforeBack).toISOString()}; stored: ${evidence(path.join(d.dataDir, 'daybook.db'), afkStart)}`,
    )
  }

  // The watcher reports on itself.
  const where = ['--data-dir', d.dataDir, '--config-dir', d.configDir]
  const status = await until('a status report', async () => {
    const r = await runCli(['watch', '--status', ...where])
    return r.code === 0 && /last: Beta: beta — report-v2\.md/.test(r.stdout) ? r : undefined
  })
  assert.match(status.stdout, new RegExp(`^running \\(pid ${watcher.pid ?? 0}\\)`))
  assert.match(status.stdout, /\n {2}window {2}(watching|away) +[1-9]\d* sent, \d+ waiting/)
  assert.match(status.stdout, /\n {2}afk {5}(watching|away) +\d+ sent/)
  // The daemon's status route shows the same report.
  const { watchers } = await get<{
    watchers: {
      running: boolean
      pid: number
      collectors: { collector: string; delivered: number }[]
    }
  }>('/v1/status')
  assert.equal(watchers.running, true)
  assert.equal(watchers.pid, watcher.pid)
  // `daybook watch` with none named runs every collector; screenshots idle until turned on.
  assert.deepEqual(
    watchers.collectors.map((c) => c.collector),
    ['window', 'afk', 'input', 'screenshots'],
  )
  assert.ok((watchers.collectors[0]?.delivered ?? 0) > 0)

  // The daemon dies: what the watcher records meanwhile waits in its spool; then the watcher
  // dies too; once both are back, nothing recorded in between is missing.
  d.child.kill('SIGKILL')
  await d.exited
  const outage = Date.now()
  nudge()
  xdotool('windowactivate', '--sync', alpha.id)
  const spooled = path.join(d.dataDir, 'spool', 'window.json')
  const kept = await until('the event to wait in the spool', async () => {
    nudge()
    const text = await readFile(spooled, 'utf8').catch(() => '')
    const items = text === '' ? [] : (JSON.parse(text) as { items: [string, WindowItem][] }).items
    return items
      .map(([, item]) => item)
      .find(
        (i) => i.entity_name === 'alpha — notes.txt' && Date.parse(i.timestamp) >= outage - 1000,
      )
  })
  // Input counted during the outage waits in the input collector's outbox too.
  const inputSpool = path.join(d.dataDir, 'spool', 'input.json')
  const movesKept = await until('input counts to wait in the spool', async () => {
    nudge()
    const text = await readFile(inputSpool, 'utf8').catch(() => '')
    const items = text === '' ? [] : (JSON.parse(text) as { items: [string, InputItem][] }).items
    const moves = items.reduce((n, [, item]) => n + item.mm, 0)
    return moves > 0 ? moves : undefined
  })
  watcher.kill('SIGKILL')
  await exited(watcher)
  const again = await startDaemon(t, [], { dataDir: d.dataDir, configDir: d.configDir })
  port = again.discovery.port ?? 0
  watcher = watch()
  watcher.stderr?.on('data', (b: Buffer) => (log += b.toString()))
  const delivered = await until('the spooled event at the daemon', async () =>
    (await events()).find(
      (e) =>
        e.entity === 'alpha — notes.txt' && e.timestamp === kept.timestamp.replace('.000Z', 'Z'),
    ),
  )
  assert.ok(Date.parse(delivered.endTimestamp) >= Date.parse(kept.end_timestamp))
  await until('the spooled input counts at the daemon', async () => {
    const { rows } = await get<{ rows: { t: number; mm: number }[] }>('/v1/activity/summary')
    const moves = rows.filter((r) => r.t >= outage - 300_000).reduce((n, r) => n + r.mm, 0)
    return moves >= movesKept ? true : undefined
  })

  watcher.kill('SIGTERM')
  assert.equal(await exited(watcher), 0, log)
  assert.match(log, /connected: sending window events to /)
  assert.match(log, /connected: sending AFK periods to /)
  assert.match(log, /connected: sent \d+ buckets? to /)
  const after = await runCli(['watch', '--status', ...where])
  assert.equal(after.code, 1)
  assert.match(after.stdout, /^not running/)
})

test('a locked or blanked screen is seen on a real X server (the screen saver extension)', async (t) => {
  const x = await startX(t, ['xset'])
  if ('skip' in x) return t.skip(x.skip)
  const desktop = await x11Desktop({ DISPLAY: x.display })
  t.after(() => desktop.close())
  const xset = (...args: string[]) => {
    const r = spawnSync('xset', args, { env: { ...process.env, DISPLAY: x.display } })
    assert.equal(r.status, 0, r.stderr.toString())
  }
  assert.equal(await desktop.locked?.(), false)
  xset('s', 'activate')
  await until('the screen saver to be on', async () =>
    (await desktop.locked?.()) ? true : undefined,
  )
  xset('s', 'reset')
  await until('the screen saver to be off', async () =>
    (await desktop.locked?.()) === false ? true : undefined,
  )
})

/**
 * What the daemon's database holds from `fromMs` on that can end an AFK period (input buckets,
 * events, the periods themselves), for a failure's message.
 */
function evidence(dbFile: string, fromMs: number): string {
  const db = new DatabaseSync(dbFile, { readOnly: true })
  try {
    const from = { from: fromMs - 60_000 }
    const rows = (sql: string) =>
      JSON.stringify(sql.includes('$from') ? db.prepare(sql).all(from) : db.prepare(sql).all())
    return [
      `input ${rows('SELECT * FROM input_activity WHERE bucket_ms >= $from')}`,
      `events ${rows('SELECT * FROM events WHERE end_ms >= $from')}`,
      `afk ${rows('SELECT * FROM afk_periods WHERE start_ms >= $from')}`,
      `sources ${rows('SELECT id, name FROM sources')}`,
    ].join('; ')
  } finally {
    db.close()
  }
}
