import assert from 'node:assert/strict'
import { once } from 'node:events'
import net from 'node:net'
import { type TestContext, describe, test } from 'node:test'
import { PassThrough } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { request, startDaemon, startInProcess } from '../daemon.ts'
import { OWN_DEVICE, eventInput, startApp, type TestApp } from '../helpers.ts'

const NOW = Date.parse('2025-06-01T00:00:00Z')

interface Job {
  id: string
  format: string
  state: string
  dryRun: boolean
  kept: boolean | null
  error: string
  summary: {
    read: number
    imported: number
    duplicates: number
    skipped: Record<string, number>
    range: { startMs: number; endMs: number } | null
    byDevice: Record<string, { imported: number; duplicates: number }>
  }
}

/** The day totals, per project and per device, the tests compare (hand-computed in each test). */
async function totals(app: TestApp, by: 'project' | 'device' | 'app', includeAfk = false) {
  const q =
    (includeAfk ? 'includeAfk=true&' : '') +
    'preset[custom][start]=2025-03-01T00:00:00Z&preset[custom][end]=2025-03-10T00:00:00Z' +
    `&preset[custom][bucket]=day&tz=UTC&groupBy=${by}`
  const res = await app.call({ method: 'GET', url: `/v1/summary/buckets?${q}` })
  assert.equal(res.statusCode, 200, res.body)
  const out: Record<string, number> = {}
  for (const row of res.json<{ bucket: string; groupedValues: Record<string, number> }[]>()) {
    for (const [k, v] of Object.entries(row.groupedValues)) out[`${row.bucket} ${k}`] = v
  }
  return out
}

async function importFile(
  app: TestApp,
  body: string,
  query = '',
): Promise<{ statusCode: number; job: Job }> {
  const res = await app.call({
    method: 'POST',
    url: `/v1/import?name=golden${query}`,
    headers: { 'content-type': 'application/octet-stream' },
    payload: body,
  })
  const json = res.json()
  return { statusCode: res.statusCode, job: res.statusCode === 200 ? json : json.job }
}

const CSV = `start,end,app,title,url,project,branch,language,category,source,device
2025-03-03T09:00:00Z,2025-03-03T09:30:00Z,Code,main.ts,,alpha,main,TypeScript,Coding,,laptop
2025-03-03T10:00:00Z,2025-03-03T10:15:00Z,Firefox,,https://example.com/docs?q=1,alpha,,,Browsing,,laptop
1741078800,1741080600,Code,lib.rs,,beta,,Rust,Coding,,desktop
1985-01-01T00:00:00Z,1985-01-01T00:10:00Z,Code,old.c,,gamma,,C,Coding,,laptop
`

const UA = 'wakatime/v1.90.0 (linux-6.1.0-x86_64) go1.22.5 vscode/1.88.0 vscode-wakatime/24.0.0'
const hb = (time: string, project: string, machine: string) => ({
  entity: `/src/${project}.ts`,
  type: 'file',
  category: 'coding',
  project,
  branch: 'main',
  language: 'TypeScript',
  is_write: false,
  time: Date.parse(time) / 1000,
  machine_name_id: machine,
  user_agent_id: UA,
})
const WAKATIME = JSON.stringify({
  user: { username: 'me' },
  range: { start: '2025-03-03', end: '2025-03-04' },
  days: [
    {
      date: '2025-03-03',
      heartbeats: [
        hb('2025-03-03T09:00:00Z', 'alpha', 'laptop'),
        hb('2025-03-03T09:01:00Z', 'alpha', 'laptop'),
        hb('2025-03-03T09:05:00Z', 'alpha', 'laptop'),
        hb('1985-03-03T09:05:00Z', 'alpha', 'laptop'),
      ],
    },
    {
      date: '2025-03-04',
      heartbeats: [
        hb('2025-03-04T10:00:00Z', 'beta', 'desktop'),
        hb('2025-03-04T10:10:00Z', 'beta', 'desktop'),
        // 50 minutes later, past the 15-minute timeout: a lone heartbeat covers nothing.
        hb('2025-03-04T11:00:00Z', 'beta', 'desktop'),
      ],
    },
  ],
})

const AW = JSON.stringify({
  buckets: {
    'aw-watcher-window_host1': {
      id: 'aw-watcher-window_host1',
      created: '2025-03-01T00:00:00Z',
      type: 'currentwindow',
      client: 'aw-watcher-window',
      hostname: 'host1',
      events: [
        { timestamp: '2025-03-05T09:00:00Z', duration: 120, data: { app: 'Code', title: 'a.ts' } },
        {
          timestamp: '2025-03-05T09:02:00Z',
          duration: 60,
          data: { app: 'Firefox', title: 'Docs' },
        },
      ],
    },
    'aw-watcher-afk_host1': {
      id: 'aw-watcher-afk_host1',
      created: '2025-03-01T00:00:00Z',
      type: 'afkstatus',
      client: 'aw-watcher-afk',
      hostname: 'host1',
      events: [
        { timestamp: '2025-03-05T09:00:00Z', duration: 180, data: { status: 'not-afk' } },
        { timestamp: '2025-03-05T09:03:00Z', duration: 600, data: { status: 'afk' } },
      ],
    },
  },
})

describe('import: golden files with hand-computed totals', () => {
  test('csv: per day, project and device; old rows skipped with their reason', async (t) => {
    const app = await startApp(t, { now: NOW })
    const { statusCode, job } = await importFile(app, CSV)
    assert.equal(statusCode, 200, JSON.stringify(job))
    assert.equal(job.format, 'csv')
    assert.equal(job.state, 'done')
    assert.equal(job.summary.imported, 3)
    assert.deepEqual(job.summary.skipped, { 'events before 1990': 1 })
    assert.deepEqual(job.summary.byDevice, {
      laptop: { imported: 2, duplicates: 0 },
      desktop: { imported: 1, duplicates: 0 },
    })
    assert.deepEqual(job.summary.range, {
      startMs: Date.parse('2025-03-03T09:00:00Z'),
      endMs: Date.parse('2025-03-04T09:30:00Z'),
    })
    // 30 + 15 minutes on the 3rd (alpha, laptop), 30 minutes on the 4th (beta, desktop).
    assert.deepEqual(await totals(app, 'project'), {
      '2025-03-03 alpha': 2700,
      '2025-03-04 beta': 1800,
    })
    assert.deepEqual(await totals(app, 'device'), {
      '2025-03-03 laptop': 2700,
      '2025-03-04 desktop': 1800,
    })
    // The same file again adds nothing.
    const again = await importFile(app, CSV)
    assert.equal(again.job.summary.imported, 0)
    assert.equal(again.job.summary.duplicates, 3)
    assert.deepEqual(await totals(app, 'project'), {
      '2025-03-03 alpha': 2700,
      '2025-03-04 beta': 1800,
    })
  })

  test('wakatime dump: heartbeats derive what the plugins would have recorded', async (t) => {
    const app = await startApp(t, { now: NOW })
    const { statusCode, job } = await importFile(app, WAKATIME)
    assert.equal(statusCode, 200, JSON.stringify(job))
    assert.equal(job.format, 'wakatime')
    assert.equal(job.summary.imported, 6)
    assert.deepEqual(job.summary.skipped, { 'heartbeats before 1990': 1 })
    // alpha: 09:00 → 09:05 (5 minutes); beta: 10:00 → 10:10, the 11:00 heartbeat alone.
    assert.deepEqual(await totals(app, 'project'), {
      '2025-03-03 alpha': 300,
      '2025-03-04 beta': 600,
    })
    assert.deepEqual(await totals(app, 'device'), {
      '2025-03-03 laptop': 300,
      '2025-03-04 desktop': 600,
    })
    const again = await importFile(app, WAKATIME)
    assert.equal(again.job.summary.imported, 0)
    assert.equal(again.job.summary.duplicates, 6)
  })

  test('wakapi heartbeats, {"data": [...]} and a bare list', async (t) => {
    const app = await startApp(t, { now: NOW })
    const beats = [
      hb('2025-03-03T09:00:00Z', 'alpha', 'laptop'),
      hb('2025-03-03T09:02:00Z', 'alpha', 'laptop'),
    ]
    const first = await importFile(app, JSON.stringify({ data: beats }))
    assert.equal(first.job.format, 'wakapi')
    assert.equal(first.job.summary.imported, 2)
    const bare = await importFile(app, JSON.stringify(beats))
    assert.equal(bare.job.format, 'wakapi')
    assert.equal(bare.job.summary.duplicates, 2)
    assert.deepEqual(await totals(app, 'project'), { '2025-03-03 alpha': 120 })
  })

  test('activitywatch buckets map as live watchers do, with the host as the device', async (t) => {
    const app = await startApp(t, { now: NOW })
    const { statusCode, job } = await importFile(app, AW)
    assert.equal(statusCode, 200, JSON.stringify(job))
    assert.equal(job.format, 'activitywatch')
    assert.equal(job.summary.imported, 4)
    assert.deepEqual(await totals(app, 'app'), {
      '2025-03-05 Code': 120,
      '2025-03-05 Firefox': 60,
    })
    assert.deepEqual(await totals(app, 'device'), { '2025-03-05 host1': 180 })
    // The raw buckets are ActivityWatch's too.
    const buckets = await app.call({ method: 'GET', url: '/api/0/buckets/' })
    assert.ok(buckets.statusCode === 200 || buckets.statusCode === 404)
    const again = await importFile(app, AW)
    assert.equal(again.job.summary.imported, 0)
    assert.equal(again.job.summary.duplicates, 4)
  })
})

describe('import: bad input', () => {
  test('a truncated JSON file names the byte; the items before it are kept and counted', async (t) => {
    const app = await startApp(t, { now: NOW })
    const cut = WAKATIME.slice(
      0,
      WAKATIME.indexOf(String(Date.parse('2025-03-04T10:10:00Z') / 1000)) - 10,
    )
    const { statusCode, job } = await importFile(app, cut, '&format=wakatime')
    assert.equal(statusCode, 422)
    assert.equal(job.state, 'failed')
    assert.equal(job.kept, true)
    assert.match(job.error, /^golden: byte \d+: the JSON ends early: the file is truncated/)
    assert.ok(job.summary.imported >= 3, JSON.stringify(job.summary))
    assert.deepEqual(await totals(app, 'project'), { '2025-03-03 alpha': 300 })
  })

  test('--atomic: a broken file stores nothing', async (t) => {
    const app = await startApp(t, { now: NOW })
    const broken = `${CSV}2025-03-05T09:00:00Z,not a time,Code,x,,alpha,,,Coding,,laptop\n`
    const { statusCode, job } = await importFile(app, broken, '&atomic=true')
    assert.equal(statusCode, 422)
    assert.equal(job.kept, false)
    assert.equal(job.summary.imported, 0)
    assert.match(job.error, /^golden: line 6: end must be an RFC 3339 time or epoch seconds/)
    assert.deepEqual(await totals(app, 'project'), {})
    // Without --atomic the rows before the error are kept, and the job says so.
    const kept = await importFile(app, broken)
    assert.equal(kept.job.kept, true)
    assert.equal(kept.job.summary.imported, 3)
    assert.deepEqual(await totals(app, 'project'), {
      '2025-03-03 alpha': 2700,
      '2025-03-04 beta': 1800,
    })
  })

  test('a broken line stops the import; every item before it is kept and counted, none after it', async (t) => {
    const app = await startApp(t, { now: NOW })
    // A row of three columns in a file of eleven, then a good row the import never reaches.
    const csv =
      `${CSV}2025-03-05T09:00:00Z,2025-03-05T09:10:00Z,Code\n` +
      '2025-03-06T09:00:00Z,2025-03-06T09:10:00Z,Code,x,,delta,,,Coding,,laptop\n'
    const cut = await importFile(app, csv)
    assert.equal(cut.statusCode, 422)
    assert.equal(cut.job.kept, true)
    assert.match(cut.job.error, /^golden: line 6: not valid CSV: Invalid Record Length/)
    // The three good rows and the one skipped for its age, all before the broken line.
    assert.equal(cut.job.summary.read, 4)
    assert.equal(cut.job.summary.imported, 3)
    assert.deepEqual(cut.job.summary.skipped, { 'events before 1990': 1 })
    assert.deepEqual(await totals(app, 'project'), {
      '2025-03-03 alpha': 2700,
      '2025-03-04 beta': 1800,
    })

    // JSON broken in the middle of a heartbeat list: the heartbeats before it are all stored.
    const other = await startApp(t, { now: NOW })
    const days = JSON.parse(WAKATIME) as { days: { heartbeats: unknown[] }[] }
    const before = JSON.stringify({ user: {}, days: [days.days[0]] }).replace(/\]\}\]\}$/, '')
    const json = await importFile(other, `${before},{"entity": nope}]}]}`, '&format=wakatime')
    assert.equal(json.statusCode, 422)
    assert.equal(json.job.kept, true)
    assert.match(json.job.error, /^golden: byte \d+: not valid JSON/)
    assert.equal(json.job.summary.imported, 3)
    assert.deepEqual(json.job.summary.skipped, { 'heartbeats before 1990': 1 })
    assert.deepEqual(await totals(other, 'project'), { '2025-03-03 alpha': 300 })
  })

  test('an unknown CSV column, an unknown format and a dry run', async (t) => {
    const app = await startApp(t, { now: NOW })
    const unknown = await importFile(
      app,
      'start,end,mood\n2025-03-03T09:00:00Z,2025-03-03T09:30:00Z,ok\n',
    )
    assert.equal(unknown.statusCode, 422)
    assert.match(
      unknown.job.error,
      /^golden: line 1: unknown column "mood"; expected columns: start,end,app/,
    )
    const res = await app.call({
      method: 'POST',
      url: '/v1/import?name=notes.txt',
      headers: { 'content-type': 'text/plain' },
      payload: 'hello, world',
    })
    assert.equal(res.statusCode, 400)
    assert.match(res.json().message, /^notes\.txt: cannot tell the format/)
    const dry = await importFile(app, CSV, '&dryRun=true')
    assert.equal(dry.job.dryRun, true)
    assert.equal(dry.job.summary.imported, 3)
    assert.deepEqual(await totals(app, 'project'), {})
  })

  test('an upload larger than the cap: 413; refused unread when declared, else the rows before the cap kept', async (t) => {
    const app = await startApp(t, { now: NOW, imports: { maxBytes: CSV.length - 1 } })
    const declared = await importFile(app, CSV, '&format=csv')
    assert.equal(declared.statusCode, 413)
    assert.equal(declared.job, undefined)
    const refused = await app.call({
      method: 'POST',
      url: '/v1/import?name=golden&format=csv',
      headers: { 'content-type': 'text/csv' },
      payload: CSV,
    })
    assert.equal(refused.json().code, 'import_too_large')
    assert.match(refused.json().message, /^golden: the upload is larger \(\d+ bytes or more\)/)
    assert.deepEqual(await totals(app, 'project'), {})
    // Sent without a length: the header, two rows and part of the third are read, then the
    // rest crosses the cap.
    const first = CSV.slice(0, CSV.indexOf('1741078800') + 5)
    const body = new PassThrough()
    body.write(first)
    const pending = app.call({
      method: 'POST',
      url: '/v1/import?name=golden&format=csv',
      headers: { 'content-type': 'text/csv' },
      payload: body,
    })
    for (;;) {
      const jobs = (await app.call({ method: 'GET', url: '/v1/import' })).json<{ jobs: Job[] }>()
      if (jobs.jobs[0]?.summary.read === 2) break
      await sleep(10)
    }
    body.end(CSV.slice(first.length))
    const streamed = await pending
    assert.equal(streamed.statusCode, 413, streamed.body)
    const job = streamed.json<{ code: string; job: Job }>().job
    assert.equal(job.state, 'failed')
    assert.equal(job.kept, true)
    assert.equal(job.summary.imported, 2, JSON.stringify(job))
    assert.match(
      job.error,
      /^golden: the upload is larger \(\d+ bytes or more\) than the 408 bytes/,
    )
    assert.deepEqual(await totals(app, 'project'), { '2025-03-03 alpha': 2700 })
  })

  test('GET /v1/import/{id} shows a finished job; an unknown id is a 404', async (t) => {
    const app = await startApp(t, { now: NOW })
    const { job } = await importFile(app, CSV)
    const got = await app.call({ method: 'GET', url: `/v1/import/${job.id}` })
    assert.equal(got.statusCode, 200)
    assert.deepEqual(got.json(), job)
    const missing = await app.call({ method: 'GET', url: '/v1/import/nope' })
    assert.equal(missing.statusCode, 404)
  })
})

describe('export', () => {
  async function seed(app: TestApp): Promise<void> {
    const events = [
      eventInput({
        timestamp: '2025-03-03T09:00:00Z',
        end_timestamp: '2025-03-03T09:40:00Z',
        project_name: 'alpha',
      }),
      eventInput({
        timestamp: '2025-03-03T11:00:00Z',
        end_timestamp: '2025-03-03T11:20:00Z',
        project_name: 'beta',
        app_name: 'Zed',
        entity_name: 'b.rs',
      }),
      eventInput({
        timestamp: '2025-03-04T08:00:00Z',
        end_timestamp: '2025-03-04T08:30:00Z',
        project_name: 'alpha',
        device: 'desktop',
      }),
    ]
    let res = await app.call({ method: 'POST', url: '/v1/events', payload: events })
    assert.equal(res.statusCode, 200, res.body)
    res = await app.call({
      method: 'POST',
      url: '/v1/afk',
      payload: [{ afk_start: '2025-03-03T09:10:00Z', afk_end: '2025-03-03T09:20:00Z' }],
    })
    assert.equal(res.statusCode, 200, res.body)
    res = await app.call({
      method: 'POST',
      url: '/api/v1/users/current/heartbeats.bulk',
      headers: { 'user-agent': UA, 'x-machine-name': 'laptop' },
      payload: [
        {
          entity: '/w/a.ts',
          type: 'file',
          project: 'gamma',
          time: Date.parse('2025-03-05T09:00:00Z') / 1000,
        },
        {
          entity: '/w/a.ts',
          type: 'file',
          project: 'gamma',
          time: Date.parse('2025-03-05T09:07:00Z') / 1000,
        },
      ],
    })
    assert.equal(res.statusCode, 202, res.body)
    res = await app.call({
      method: 'POST',
      url: '/v1/labels',
      payload: {
        text: 'release',
        startUtc: Date.parse('2025-03-03T09:00:00Z') / 1000,
        endUtc: Date.parse('2025-03-03T10:00:00Z') / 1000,
      },
    })
    assert.equal(res.statusCode, 200, res.body)
    res = await app.call({
      method: 'PUT',
      url: '/v1/settings',
      payload: { heartbeatTimeoutSec: 600 },
    })
    assert.equal(res.statusCode, 200, res.body)
    // Input of two devices, one of them from two collectors into the same bucket; an open AFK
    // period on the desktop that its input ends (presence).
    res = await app.call({
      method: 'POST',
      url: '/v1/afk',
      payload: [{ afk_start: '2025-05-20T09:00:00Z', device: 'desktop', source: 'aw-watcher-afk' }],
    })
    assert.equal(res.statusCode, 200, res.body)
    const counts = { lc: 0, rc: 0, mc: 0, kp: 0, mm: 0, scroll: 0 }
    for (const [source, device, id, at, more] of [
      ['kb', undefined, 'i1', '2025-05-20T10:00:00Z', { kp: 10, lc: 1 }],
      ['kb', 'desktop', 'i2', '2025-05-20T10:00:00Z', { kp: 20 }],
      ['mouse', 'desktop', 'i3', '2025-05-20T10:02:00Z', { mm: 30, scroll: 4 }],
      ['kb', 'desktop', 'i4', '2025-05-21T16:40:00Z', { kp: 7 }],
    ] as const) {
      res = await app.call({
        method: 'POST',
        url: '/v1/input',
        payload: {
          source,
          ...(device === undefined ? {} : { device }),
          buckets: [{ id, timestamp_ms: Date.parse(at), ...counts, ...more }],
        },
      })
      assert.equal(res.statusCode, 200, res.body)
    }
  }

  /** What the two daemons must answer alike: input per device, and active time with presence. */
  async function inputAnswers(app: TestApp): Promise<unknown> {
    const answers: Record<string, unknown> = {}
    for (const devices of ['', '&devices=desktop', `&devices=${OWN_DEVICE}`]) {
      const res = await app.call({
        method: 'GET',
        url: `/v1/input/heatmap?start=2025-05-01T00:00:00Z&end=2025-06-01T00:00:00Z&tz=UTC${devices}`,
      })
      assert.equal(res.statusCode, 200, res.body)
      answers[`heatmap${devices}`] = res.json()
    }
    const total = await app.call({
      method: 'GET',
      url:
        '/v1/summary/buckets?preset[custom][start]=2025-05-20T00:00:00Z' +
        '&preset[custom][end]=2025-05-22T00:00:00Z&preset[custom][bucket]=day&tz=UTC' +
        '&groupBy=device&includeAfk=true',
    })
    assert.equal(total.statusCode, 200, total.body)
    answers.total = total.json()
    return answers
  }

  /**
   * The change feed as a set: each row's kind, operation and data, without feed positions or
   * ids (a daemon's own device has an id of its own, and the content ids of its events and AFK
   * periods derive from it; a label's id is made when it is created).
   */
  async function changeSet(app: TestApp): Promise<string[]> {
    const res = await app.call({ method: 'GET', url: '/v1/changes?limit=10000' })
    assert.equal(res.statusCode, 200, res.body)
    return res
      .json<{ changes: { kind: string; op: string; data: Record<string, unknown> }[] }>()
      .changes.map((c) => JSON.stringify([c.kind, c.op, { ...c.data, id: undefined }]))
      .sort()
  }

  test('daybook: export → import into a fresh daemon gives the same answers', async (t) => {
    const source = await startApp(t, { now: NOW })
    await seed(source)
    const exported = await source.call({ method: 'GET', url: '/v1/export?format=daybook' })
    assert.equal(exported.statusCode, 200, exported.body)
    assert.match(exported.headers['content-type'] as string, /application\/x-ndjson/)
    const lines = exported.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    assert.equal(lines[0].type, 'header')
    assert.deepEqual(
      [...new Set(lines.map((l) => l.type))],
      ['header', 'settings', 'device', 'label', 'heartbeat', 'event', 'afk', 'input'],
    )
    // Input as stored: a row per bucket, device and source, nothing summed.
    assert.deepEqual(
      lines
        .filter((l) => l.type === 'input')
        .map((l) => [new Date(l.bucketMs).toISOString(), l.device, l.source, l.kp, l.mm]),
      [
        ['2025-05-20T10:00:00.000Z', 'desktop', 'kb', 20, 0],
        ['2025-05-20T10:00:00.000Z', 'desktop', 'mouse', 0, 30],
        ['2025-05-20T10:00:00.000Z', OWN_DEVICE, 'kb', 10, 0],
        ['2025-05-21T16:40:00.000Z', 'desktop', 'kb', 7, 0],
      ].sort((a, b) => {
        const [x, y] = [a, b].map((r) => r.slice(0, 3).join(' '))
        return (x as string) < (y as string) ? -1 : 1
      }),
    )

    const target = await startApp(t, { now: NOW })
    const { statusCode, job } = await importFile(target, exported.body)
    assert.equal(statusCode, 200, JSON.stringify(job))
    assert.equal(job.format, 'daybook')
    for (const by of ['project', 'device', 'app'] as const) {
      assert.deepEqual(await totals(target, by), await totals(source, by), by)
    }
    assert.deepEqual(await inputAnswers(target), await inputAnswers(source))
    assert.deepEqual(await changeSet(target), await changeSet(source))
    const settings = (await target.call({ method: 'GET', url: '/v1/settings' })).json()
    assert.equal(settings.heartbeatTimeoutSec, 600)
    const labels = (await target.call({ method: 'GET', url: '/v1/labels' })).json()
    assert.deepEqual(
      labels.map((l: { text: string }) => l.text),
      ['release'],
    )
    // Exported again, the copy is the same file (but for when it was written).
    const copy = await target.call({ method: 'GET', url: '/v1/export?format=daybook' })
    const strip = (body: string) =>
      body
        .trim()
        .split('\n')
        .slice(1)
        .filter((l) => !l.includes('"type":"device"'))
        .sort()
    assert.deepEqual(strip(copy.body), strip(exported.body))
    // A device without any data is kept too.
    const bare = await importFile(
      target,
      `${exported.body.split('\n')[0]}\n{"type":"device","name":"tablet","own":false}\n`,
    )
    assert.equal(bare.statusCode, 200, JSON.stringify(bare.job))
    const devices = (await target.call({ method: 'GET', url: '/v1/devices' })).json()
    assert.ok(
      JSON.stringify(devices).includes('"name":"tablet"'),
      `tablet is listed: ${JSON.stringify(devices)}`,
    )
    // And importing the export again adds nothing.
    const again = await importFile(target, exported.body)
    assert.equal(again.job.summary.imported, 0)
    assert.match(again.job.summary.duplicates.toString(), /^[1-9]/)
  })

  test('csv, activitywatch and wakatime exports read back in their own formats', async (t) => {
    const source = await startApp(t, { now: NOW })
    await seed(source)
    const csv = await source.call({ method: 'GET', url: '/v1/export?format=csv' })
    assert.equal(csv.statusCode, 200)
    assert.equal(
      csv.body.split('\n')[0],
      'start,end,app,title,url,project,branch,language,category,source,device',
    )
    const csvTarget = await startApp(t, { now: NOW })
    const fromCsv = await importFile(csvTarget, csv.body)
    assert.equal(fromCsv.statusCode, 200, JSON.stringify(fromCsv.job))
    // CSV holds events only: AFK periods stay behind.
    assert.deepEqual(await totals(csvTarget, 'project'), await totals(source, 'project', true))

    const waka = await source.call({ method: 'GET', url: '/v1/export?format=wakatime' })
    assert.equal(waka.statusCode, 200)
    const dump = waka.json()
    assert.deepEqual(
      dump.days.map((d: { date: string; heartbeats: unknown[] }) => [d.date, d.heartbeats.length]),
      [['2025-03-05', 2]],
    )
    assert.deepEqual(dump.range, { start: '2025-03-05', end: '2025-03-05' })
    const wakaTarget = await startApp(t, { now: NOW })
    const fromWaka = await importFile(wakaTarget, waka.body)
    assert.equal(fromWaka.job.summary.imported, 2)
    assert.deepEqual(await totals(wakaTarget, 'project'), { '2025-03-05 gamma': 420 })

    const aw = await source.call({ method: 'GET', url: '/v1/export?format=activitywatch' })
    assert.equal(aw.statusCode, 200)
    const buckets = aw.json<{ buckets: Record<string, { events: unknown[] }> }>().buckets
    assert.ok(Object.keys(buckets).length > 0)
    for (const b of Object.values(buckets)) {
      assert.ok(b.events.length > 0)
    }
    const awTarget = await startApp(t, { now: NOW })
    const fromAw = await importFile(awTarget, aw.body)
    assert.equal(fromAw.statusCode, 200, JSON.stringify(fromAw.job))
    assert.equal(fromAw.job.summary.imported, fromAw.job.summary.read)
  })

  test('a range and a device narrow the export; a read-only token may export, not import', async (t) => {
    const app = await startApp(t, { now: NOW, keys: { readkey: 'read_only' } })
    await seed(app)
    const res = await app.app.inject({
      method: 'GET',
      url: '/v1/export?format=csv&start=2025-03-04T00:00:00Z&device=desktop',
      headers: { authorization: 'Bearer readkey' },
    })
    assert.equal(res.statusCode, 200, res.body)
    const rows = res.body.trim().split('\n')
    assert.equal(rows.length, 2)
    assert.match(rows[1] as string, /^2025-03-04T08:00:00.000Z,.*,desktop$/)
    const denied = await app.app.inject({
      method: 'POST',
      url: '/v1/import',
      headers: { authorization: 'Bearer readkey', 'content-type': 'text/csv' },
      payload: CSV,
    })
    assert.equal(denied.statusCode, 403)
    const bad = await app.call({ method: 'GET', url: '/v1/export?format=xml' })
    assert.equal(bad.statusCode, 400)
  })
})

describe('import upload: its own bounds, not the request timeout (a real daemon, real sockets)', () => {
  /** A CSV of `n` one-minute events of `project`, a minute apart from `hour` on 2025-03-03. */
  const csvOf = (project: string, n: number, hour: number) =>
    'start,end,app,title,url,project,branch,language,category,source,device\n' +
    Array.from({ length: n }, (_, i) => {
      const start = Date.parse('2025-03-03T00:00:00Z') + hour * 3_600_000 + i * 120_000
      const iso = (ms: number) => new Date(ms).toISOString()
      return `${iso(start)},${iso(start + 60_000)},Code,f${i}.ts,,${project},,,Coding,,laptop\n`
    }).join('')

  /** `text` cut into `n` pieces of about equal length (cutting rows in the middle too). */
  const pieces = (text: string, n: number) => {
    const size = Math.ceil(text.length / n)
    return Array.from({ length: Math.ceil(text.length / size) }, (_, i) =>
      text.slice(i * size, (i + 1) * size),
    )
  }

  interface Answer {
    status: number
    json: { code?: string; message?: string; job?: Job } & Partial<Job>
    /** Pieces written before the answer came (or the connection closed). */
    sent: number
    /** Resolves when the daemon (or the test) closed the connection. */
    closed: Promise<void>
  }

  /**
   * POSTs a chunked body over a raw socket, one piece every `gapMs` (the gap only grows on a busy
   * machine). `finish: false` leaves the body unfinished: a client that stalls. `untilClosed`:
   * keeps sending after the answer, until the daemon closes the connection.
   */
  async function upload(
    t: TestContext,
    target: net.NetConnectOpts,
    path: string,
    token: string | undefined,
    body: string[],
    options: { gapMs: number; finish: boolean; untilClosed?: boolean },
  ): Promise<Answer> {
    const socket = net.connect(target)
    socket.on('error', () => undefined)
    t.after(() => socket.destroy())
    await once(socket, 'connect')
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    let received = Buffer.alloc(0)
    let answered = false
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      socket.on('data', (b: Buffer) => {
        received = Buffer.concat([received, b])
        const end = received.indexOf('\r\n\r\n')
        if (end < 0) return
        const head = received.subarray(0, end).toString('latin1')
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? Number.NaN)
        const rest = received.subarray(end + 4)
        if (rest.length < length) return
        answered = true
        resolve({ status: Number(head.slice(9, 12)), text: rest.toString('utf8') })
      })
      void closed.then(() =>
        reject(new Error(`closed before a whole answer: ${received.toString('latin1')}`)),
      )
    })
    answer.catch(() => undefined)
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: localhost\r\n` +
        (token === undefined ? '' : `Authorization: Bearer ${token}\r\n`) +
        'Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n',
    )
    let sent = 0
    let open = true
    void closed.then(() => (open = false))
    for (const piece of body) {
      if (!open || (answered && options.untilClosed !== true)) break
      socket.write(`${Buffer.byteLength(piece).toString(16)}\r\n${piece}\r\n`)
      sent++
      await sleep(options.gapMs)
    }
    if (options.finish && open) socket.write('0\r\n\r\n')
    const { status, text } = await answer
    if (options.untilClosed === true) await closed
    return { status, json: JSON.parse(text) as Answer['json'], sent, closed }
  }

  /** Seconds per project on 2025-03-03, from a real daemon. */
  async function projectSeconds(port: number, token: string): Promise<Record<string, number>> {
    const res = await request(
      { port },
      {
        path:
          '/v1/summary/buckets?preset[custom][start]=2025-03-03T00:00:00Z' +
          '&preset[custom][end]=2025-03-04T00:00:00Z&preset[custom][bucket]=day&tz=UTC&groupBy=project',
        headers: { authorization: `Bearer ${token}` },
      },
    )
    assert.equal(res.status, 200, res.body)
    const rows = JSON.parse(res.body) as { groupedValues: Record<string, number> }[]
    return Object.assign({}, ...rows.map((r) => r.groupedValues)) as Record<string, number>
  }

  test('an upload trickled past the request timeout completes; a stalled one is cut at the idle bound and keeps exactly what its job reports', async (t) => {
    const d = await startInProcess(t, ['--socket'], {
      env: { DAYBOOK_REQUEST_TIMEOUT_SEC: '1', DAYBOOK_IMPORT_IDLE_TIMEOUT_SEC: '5' },
    })
    const port = d.discovery.port ?? 0
    const tcp = { port, host: '127.0.0.1' }
    const unix = { path: d.discovery.socket ?? '' }

    // 40 rows in 30 pieces, 150 ms apart: at least 4.5 s, over four times the request timeout,
    // over TCP and the Unix socket at once.
    const [overTcp, overUnix] = await Promise.all([
      upload(t, tcp, '/v1/import?name=slow.csv', d.token, pieces(csvOf('alpha', 40, 6), 30), {
        gapMs: 150,
        finish: true,
      }),
      upload(t, unix, '/v1/import?name=slow.csv', d.token, pieces(csvOf('beta', 40, 9), 30), {
        gapMs: 150,
        finish: true,
      }),
    ])
    for (const res of [overTcp, overUnix]) {
      assert.equal(res.status, 200, JSON.stringify(res.json))
      assert.equal(res.json.state, 'done')
      assert.equal(res.json.summary?.imported, 40)
    }
    assert.deepEqual(await projectSeconds(port, d.token), { alpha: 2400, beta: 2400 })

    // Sixty whole rows (past the 4 KB the format is told from) and part of the next, then
    // nothing: cut at the idle bound (5 s), not at the request timeout; the rows before the cut
    // are kept and counted, and the connection closed. With --atomic (the format named) nothing
    // is kept.
    const csv = csvOf('gamma', 80, 12)
    const cut = csv.indexOf('\n', csv.indexOf('f60.ts')) - 20
    assert.ok(csv.indexOf('f60.ts') > 4096)
    const half = [csv.slice(0, 2000), csv.slice(2000, cut)]
    const [stalled, atomic] = await Promise.all([
      upload(t, tcp, '/v1/import?name=stalled.csv', d.token, half, { gapMs: 0, finish: false }),
      upload(t, tcp, '/v1/import?name=stalled.csv&atomic=true&format=csv', d.token, half, {
        gapMs: 0,
        finish: false,
      }),
    ])
    assert.equal(stalled.status, 408, JSON.stringify(stalled.json))
    assert.equal(stalled.json.code, 'import_stalled')
    assert.match(
      stalled.json.message ?? '',
      /^stalled\.csv: the upload stalled after byte \d+: nothing arrived for 5 s \(DAYBOOK_IMPORT_IDLE_TIMEOUT_SEC\)$/,
    )
    assert.equal(stalled.json.job?.state, 'failed')
    assert.equal(stalled.json.job?.kept, true)
    assert.equal(stalled.json.job?.summary.imported, 60)
    assert.equal(atomic.status, 408, JSON.stringify(atomic.json))
    assert.equal(atomic.json.job?.kept, false)
    assert.equal(atomic.json.job?.summary.imported, 0)
    assert.equal(atomic.json.job?.summary.read, 60)
    await Promise.all([stalled.closed, atomic.closed])
    assert.deepEqual(await projectSeconds(port, d.token), { alpha: 2400, beta: 2400, gamma: 3600 })

    // A client that went away finds its job in the list.
    const list = await request(
      { port },
      { path: '/v1/import', headers: { authorization: `Bearer ${d.token}` } },
    )
    assert.equal(list.status, 200, list.body)
    const jobs = (JSON.parse(list.body) as { jobs: Job[] }).jobs
    assert.deepEqual(
      jobs.find((j) => j.id === stalled.json.job?.id),
      stalled.json.job,
    )

    // Without a token the upload is refused at once and the request timeout still holds: the
    // daemon closes the connection while the client is still sending.
    const refused = await upload(t, tcp, '/v1/import?name=x.csv', undefined, pieces(csv, 100), {
      gapMs: 150,
      finish: true,
      untilClosed: true,
    })
    assert.equal(refused.status, 401)
    assert.ok(refused.sent < 100, `closed by the daemon after ${refused.sent} pieces`)
  })

  test('what a paused upload has sent is stored while it is still open, not when 5,000 rows or the end came', async (t) => {
    const d = await startInProcess(t)
    const port = d.discovery.port ?? 0
    // Thirty whole rows and part of the next (a row is read once the next one begins).
    const csv = csvOf('epsilon', 31, 18)
    const sent = csv.slice(0, csv.indexOf('\n', csv.indexOf('f30.ts')) - 20)
    const upload30 = upload(
      t,
      { port, host: '127.0.0.1' },
      '/v1/import?name=e.csv&format=csv',
      d.token,
      [sent],
      {
        gapMs: 0,
        finish: false,
      },
    )
    let answered = false
    void upload30.then(
      () => (answered = true),
      () => (answered = true),
    )
    // The daemon's idle bound for an upload is a minute: these rows are stored long before it.
    for (;;) {
      const seconds = await projectSeconds(port, d.token)
      if (seconds.epsilon === 1800) break
      assert.equal(answered, false, 'the upload was answered before its rows were stored')
      await sleep(50)
    }
    assert.equal(answered, false, 'stored only because the upload was cut off')
    const jobs = await request(
      { port },
      { path: '/v1/import', headers: { authorization: `Bearer ${d.token}` } },
    )
    const job = (JSON.parse(jobs.body) as { jobs: Job[] }).jobs[0]
    assert.equal(job?.state, 'running')
    assert.equal(job?.summary.imported, 30)
  })

  test('a clean stop does not wait for an upload: cut off with 503 and the job, what was read kept', async (t) => {
    const d = await startDaemon(t)
    const port = d.discovery.port ?? 0
    const csv = csvOf('delta', 80, 15)
    const cut = csv.indexOf('\n', csv.indexOf('f60.ts')) - 20
    const answer = upload(
      t,
      { port, host: '127.0.0.1' },
      '/v1/import?name=d.csv',
      d.token,
      [csv.slice(0, cut)],
      {
        gapMs: 0,
        finish: false,
      },
    )
    // Once the daemon has read the sixty whole rows, it is told to stop.
    for (;;) {
      const res = await request(
        { port },
        { path: '/v1/import', headers: { authorization: `Bearer ${d.token}` } },
      )
      if ((JSON.parse(res.body) as { jobs: Job[] }).jobs[0]?.summary.read === 60) break
      await sleep(50)
    }
    d.child.kill('SIGTERM')
    const stopped = await answer
    assert.equal(stopped.status, 503, JSON.stringify(stopped.json))
    assert.equal(stopped.json.code, 'shutting_down')
    assert.match(
      stopped.json.message ?? '',
      /^d\.csv: the daemon is stopping: the upload was cut off after byte \d+; import the file again/,
    )
    assert.equal(stopped.json.job?.kept, true)
    assert.equal(stopped.json.job?.summary.imported, 60)
    assert.equal(await d.exited, 0)
    // What the job reported is what was stored.
    const again = await startDaemon(t, [], { dataDir: d.dataDir, configDir: d.configDir })
    assert.deepEqual(await projectSeconds(again.discovery.port ?? 0, again.token), { delta: 3600 })
  })
})
