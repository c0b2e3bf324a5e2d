/**
 * A simulated plugin day, read back through the WakaTime API: heartbeats from two editors on two
 * machines (VS Code on a Linux laptop, GoLand on a Mac), sent out of order and partly twice, plus a
 * window watcher's event, with totals computed by hand.
 *
 * Times are UTC on 2025-09-10; the timeout is the default 15 minutes.
 *
 *   laptop, VS Code   09:00 app.ts  09:05 app.ts  09:10 README  09:20 README  09:30 app.ts (lone)
 *                     10:00 app.ts  10:10 app.ts
 *     → app.ts [09:00, 09:10)  README [09:10, 09:30)  app.ts [10:00, 10:10)
 *       (09:30 → 10:00 is 30 minutes: 09:30 covers nothing)
 *   desk, GoLand      09:40 main.go 09:50 10:04 10:14
 *     → main.go [09:40, 10:14)
 *   laptop, window    Firefox [09:25, 09:45) (a lower priority than editors)
 *
 *   one timeline      09:00 app 09:10 README 09:30 Firefox 09:40 main.go 10:00 app 10:10 main.go 10:14
 *                     (10:00–10:10 both editors: the event that started later wins)
 *
 *   totals            74 min = 4440 s
 *     projects        daybook 40 min (app.ts 20, README 20), api 24, web 10
 *     languages       TypeScript 20, Markdown 20, Go 24
 *     editors         VS Code 40, GoLand 24, daybook-window 10
 *     machines        laptop 50, desk 24 → Linux 50, macOS 24
 *     categories      Coding 44, Writing Docs 20, Browsing 10
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startApp } from '../../helpers.ts'

const NOW = Date.parse('2025-09-10T20:00:00Z')
const at = (hhmm: string) => Date.parse(`2025-09-10T${hhmm}:00Z`) / 1000
const MIN = 60

const VSCODE =
  'wakatime/v1.102.1 (linux-6.6.4-x86_64) go1.22.5 vscode/1.95.3 vscode-wakatime/24.8.0'
const GOLAND =
  'wakatime/v1.102.1 (darwin-24.1.0-arm64) go1.22.5 GoLand/2024.3 GoLand-wakatime/15.0.1'

const app = (hhmm: string) => ({
  entity: '/home/ada/daybook/src/app.ts',
  type: 'file',
  category: 'coding',
  time: at(hhmm),
  project: 'daybook',
  branch: 'main',
  language: 'TypeScript',
})
const readme = (hhmm: string) => ({
  entity: '/home/ada/daybook/README.md',
  type: 'file',
  category: 'writing docs',
  time: at(hhmm),
  project: 'daybook',
  branch: 'docs',
  language: 'Markdown',
  is_write: true,
})
const main = (hhmm: string) => ({
  entity: '/Users/ada/api/main.go',
  type: 'file',
  time: at(hhmm),
  project: 'api',
  branch: 'main',
  language: 'Go',
})

type Entry = { name: string; total_seconds: number; percent: number; text: string }
const totals = (entries: Entry[] | undefined) =>
  (entries ?? []).map((e) => [e.name, e.total_seconds])

test('a simulated plugin day, read back in WakaTime shapes', async (t) => {
  const h = await startApp(t, { now: NOW })
  await h.call({ method: 'PUT', url: '/v1/settings', payload: { timezone: 'UTC' } })
  const key = (
    await h.call({
      method: 'POST',
      url: '/v1/auth/tokens',
      payload: { name: 'reader', acl: 'read_only', expiry: 'never', format: 'wakatime' },
    })
  ).json<{ token: string }>().token
  const send = async (machine: string, agent: string, batch: unknown[]) => {
    const res = await h.call({
      method: 'POST',
      url: '/api/v1/users/current/heartbeats.bulk',
      headers: { 'user-agent': agent, 'x-machine-name': machine },
      payload: batch,
    })
    assert.equal(res.statusCode, 202, res.body)
  }
  // Out of order, interleaved between machines, some twice.
  await send('desk', GOLAND, [main('10:14')])
  await send('laptop', VSCODE, [readme('09:10'), app('09:00')])
  await send('desk', GOLAND, [main('10:04'), main('10:14')])
  await send('laptop', VSCODE, [app('09:30'), app('09:05'), app('09:00')])
  await send('laptop', VSCODE, [app('10:10')])
  await send('desk', GOLAND, [main('09:40')])
  await send('laptop', VSCODE, [readme('09:20'), app('10:00'), readme('09:10')])
  await send('desk', GOLAND, [main('09:50'), main('09:40')])
  const window = await h.call({
    method: 'POST',
    url: '/v1/events',
    payload: [
      {
        timestamp: '2025-09-10T09:25:00Z',
        end_timestamp: '2025-09-10T09:45:00Z',
        category: 'Browsing',
        app_name: 'Firefox',
        entity_name: 'Daybook docs',
        entity_type: 'App',
        project_name: 'web',
        source_name: 'daybook-window',
        device: 'laptop',
      },
    ],
  })
  assert.equal(window.statusCode, 200, window.body)
  const get = async (url: string, headers: Record<string, string> = {}) => {
    const res = await h.app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Basic ${Buffer.from(key).toString('base64')}`, ...headers },
    })
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`)
    return res.json<Record<string, unknown>>()
  }

  await t.test(
    'the status bar: the total, every breakdown, and /v1/summary/total agrees',
    async () => {
      const bar = await get('/api/v1/users/current/statusbar/today')
      const data = bar.data as Record<string, Entry[]> & {
        grand_total: Record<string, unknown>
        range: Record<string, unknown>
      }
      assert.deepEqual(data.grand_total, {
        total_seconds: 74 * MIN,
        digital: '1:14',
        decimal: '1.23',
        text: '1 hr 14 mins',
        hours: 1,
        minutes: 14,
      })
      assert.deepEqual(totals(data.projects), [
        ['daybook', 40 * MIN],
        ['api', 24 * MIN],
        ['web', 10 * MIN],
      ])
      assert.deepEqual(totals(data.languages), [
        ['Go', 24 * MIN],
        ['Markdown', 20 * MIN],
        ['TypeScript', 20 * MIN],
      ])
      assert.deepEqual(totals(data.editors), [
        ['VS Code', 40 * MIN],
        ['GoLand', 24 * MIN],
        ['daybook-window', 10 * MIN],
      ])
      assert.deepEqual(totals(data.machines), [
        ['laptop', 50 * MIN],
        ['desk', 24 * MIN],
      ])
      assert.deepEqual(totals(data.operating_systems), [
        ['Linux', 50 * MIN],
        ['macOS', 24 * MIN],
      ])
      assert.deepEqual(totals(data.categories), [
        ['Coding', 44 * MIN],
        ['Writing Docs', 20 * MIN],
        ['Browsing', 10 * MIN],
      ])
      const daybook = data.projects?.[0] as Entry & Record<string, unknown>
      assert.deepEqual(
        [daybook.percent, daybook.text, daybook.digital, daybook.hours, daybook.minutes],
        [54.05, '40 mins', '0:40:00', 0, 40],
      )
      assert.match(
        String((data.machines?.[0] as Record<string, unknown>).machine_name_id),
        /^[0-9a-f-]{36}$/,
      )
      assert.deepEqual(data.range, {
        date: '2025-09-10',
        start: '2025-09-10T00:00:00Z',
        end: '2025-09-11T00:00:00Z',
        text: 'Today',
        timezone: 'UTC',
      })
      const total = await h.call({ method: 'GET', url: '/v1/summary/total?preset=today&tz=UTC' })
      assert.equal(total.json(), 74 * MIN)
      // status_bar, and the other prefixes, answer the same.
      for (const url of [
        '/api/users/current/status_bar/today',
        '/api/compat/wakatime/v1/users/current/statusbar/today',
      ]) {
        assert.deepEqual((await get(url)).data, bar.data)
      }
    },
  )

  await t.test(
    "the CLI's Timezone header moves 'today' (and the request's timezone wins)",
    async () => {
      // Pacific/Kiritimati is UTC+14: 10:00Z is midnight there, so today (2025-09-11 there) holds
      // only 10:00–10:14 of the day.
      const bar = await get('/api/v1/users/current/statusbar/today', {
        timezone: 'Pacific/Kiritimati',
      })
      const data = bar.data as { grand_total: { total_seconds: number }; range: { date: string } }
      assert.deepEqual([data.grand_total.total_seconds, data.range.date], [14 * MIN, '2025-09-11'])
      const sums = await get(
        '/api/v1/users/current/summaries?start=2025-09-10&end=2025-09-11&timezone=Pacific/Kiritimati',
        { timezone: 'UTC' },
      )
      const days = sums.data as {
        grand_total: { total_seconds: number }
        range: { date: string }
      }[]
      assert.deepEqual(
        days.map((d) => [d.range.date, d.grand_total.total_seconds]),
        [
          ['2025-09-10', 60 * MIN],
          ['2025-09-11', 14 * MIN],
        ],
      )
    },
  )

  await t.test('summaries: one per day, a cumulative total and a daily average', async () => {
    const sums = await get(
      '/api/compat/wakatime/v1/users/current/summaries?start=2025-09-09&end=2025-09-10',
    )
    const days = sums.data as (Record<string, Entry[]> & {
      grand_total: { total_seconds: number; text: string }
      range: { date: string; text: string }
    })[]
    assert.deepEqual(
      days.map((d) => [d.range.date, d.range.text, d.grand_total.total_seconds]),
      [
        ['2025-09-09', 'Yesterday', 0],
        ['2025-09-10', 'Today', 74 * MIN],
      ],
    )
    assert.deepEqual(days[0]?.projects, [])
    assert.deepEqual(sums.cumulative_total, {
      seconds: 74 * MIN,
      text: '1 hr 14 mins',
      decimal: '1.23',
      digital: '1:14',
    })
    assert.equal((sums.daily_average as { seconds: number }).seconds, 37 * MIN)
    assert.equal(sums.start, '2025-09-09T00:00:00Z')
    // The browser extension's form: start=today&end=today; and a named range.
    const today = await get('/api/v1/users/current/summaries?start=today&end=today')
    assert.equal((today.cumulative_total as { seconds: number }).seconds, 74 * MIN)
    const week = await get('/api/v1/users/current/summaries?range=Last%207%20Days')
    assert.equal((week.data as unknown[]).length, 7)
    assert.equal((week.cumulative_total as { seconds: number }).seconds, 74 * MIN)
  })

  await t.test('a project: its branches and files; branches filter the time', async () => {
    const sums = await get('/api/v1/users/current/summaries?start=today&end=today&project=daybook')
    const [day] = sums.data as (Record<string, Entry[]> & {
      grand_total: { total_seconds: number }
    })[]
    assert.equal(day?.grand_total.total_seconds, 40 * MIN)
    assert.deepEqual(totals(day?.branches ?? []), [
      ['docs', 20 * MIN],
      ['main', 20 * MIN],
    ])
    assert.deepEqual(totals(day?.entities ?? []), [
      ['/home/ada/daybook/README.md', 20 * MIN],
      ['/home/ada/daybook/src/app.ts', 20 * MIN],
    ])
    const main = await get(
      '/api/v1/users/current/summaries?start=today&end=today&project=daybook&branches=main',
    )
    assert.equal((main.cumulative_total as { seconds: number }).seconds, 20 * MIN)
  })

  await t.test('stats of every range name; all time; projects; the user', async () => {
    const week = (await get('/api/v1/users/current/stats/last_7_days')).data as Record<
      string,
      unknown
    >
    assert.deepEqual(
      [week.total_seconds, week.days_including_holidays, week.range, week.human_readable_range],
      [74 * MIN, 7, 'last_7_days', 'Last 7 Days'],
    )
    assert.equal(week.daily_average, (74 * MIN) / 7)
    assert.deepEqual(week.best_day, {
      date: '2025-09-10',
      total_seconds: 74 * MIN,
      text: '1 hr 14 mins',
    })
    assert.deepEqual(totals(week.editors as Entry[]), [
      ['VS Code', 40 * MIN],
      ['GoLand', 24 * MIN],
      ['daybook-window', 10 * MIN],
    ])
    const expected: Record<string, number> = {
      today: 74,
      yesterday: 0,
      day: 0,
      last_24_hours: 74,
      week: 74,
      last_week: 0,
      month: 74,
      last_month: 0,
      year: 74,
      last_7_days: 74,
      '7_days': 74,
      last_14_days: 74,
      last_30_days: 74,
      last_6_months: 74,
      last_12_months: 74,
      last_year: 74,
      all_time: 74,
      any: 74,
      '2025': 74,
      '2025-09': 74,
      '2025-08': 0,
    }
    for (const [range, minutes] of Object.entries(expected)) {
      const stats = (await get(`/api/v1/users/current/stats/${range}`)).data as {
        total_seconds: number
      }
      assert.equal(stats.total_seconds, minutes * MIN, range)
    }
    const all = (await get('/api/v1/users/current/all_time_since_today')).data as Record<
      string,
      unknown
    >
    assert.deepEqual(
      [all.total_seconds, all.text, all.is_up_to_date],
      [74 * MIN, '1 hr 14 mins', true],
    )
    assert.equal((all.range as { start_date: string }).start_date, '2025-09-10')
    const projects = (await get('/api/v1/users/current/projects')).data as Record<string, unknown>[]
    assert.deepEqual(projects.map((p) => p.name).sort(), ['api', 'daybook', 'web'])
    const api = projects.find((p) => p.name === 'api')
    assert.equal(api?.last_heartbeat_at, '2025-09-10T10:14:00Z')
    const found = (await get('/api/v1/users/current/projects?q=DAY')).data as { name: string }[]
    assert.deepEqual(
      found.map((p) => p.name),
      ['daybook'],
    )
    const me = (await get('/api/v1/users/current')).data as Record<string, unknown>
    assert.deepEqual(
      [me.id, me.timezone, me.last_heartbeat_at, me.last_project, me.last_plugin_name],
      ['current', 'UTC', '2025-09-10T10:14:00Z', 'api', 'GoLand'],
    )
  })

  await t.test('heartbeats of a day, as received, each once', async () => {
    const day = await get('/api/v1/users/current/heartbeats?date=2025-09-10')
    const list = day.data as Record<string, unknown>[]
    assert.equal(list.length, 11)
    assert.deepEqual(
      list.slice(0, 3).map((x) => [x.time, x.entity, x.machine, x.editor, x.operating_system]),
      [
        [at('09:00'), '/home/ada/daybook/src/app.ts', 'laptop', 'vscode', 'Linux'],
        [at('09:05'), '/home/ada/daybook/src/app.ts', 'laptop', 'vscode', 'Linux'],
        [at('09:10'), '/home/ada/daybook/README.md', 'laptop', 'vscode', 'Linux'],
      ],
    )
    assert.equal(
      (await get('/api/v1/users/current/heartbeats?date=2025-09-09')).data instanceof Array,
      true,
    )
  })

  await t.test('durations: who owned the day, joined by project (or another slice)', async () => {
    const byProject = await get('/api/v1/users/current/durations?date=2025-09-10')
    assert.deepEqual(
      (byProject.data as { project: string; time: number; duration: number }[]).map((d) => [
        d.project,
        d.time,
        d.duration,
      ]),
      [
        ['daybook', at('09:00'), 30 * MIN],
        ['web', at('09:30'), 10 * MIN],
        ['api', at('09:40'), 20 * MIN],
        ['daybook', at('10:00'), 10 * MIN],
        ['api', at('10:10'), 4 * MIN],
      ],
    )
    assert.deepEqual(byProject.branches, ['docs', 'main'])
    const byEditor = await get(
      '/api/v1/users/current/durations?date=2025-09-10&slice_by=editor&project=api',
    )
    assert.deepEqual(
      (byEditor.data as { editor: string; duration: number }[]).map((d) => [d.editor, d.duration]),
      [
        ['GoLand', 20 * MIN],
        ['GoLand', 4 * MIN],
      ],
    )
  })

  await t.test('bad read parameters are refused with the field named', async () => {
    const cases: [string, number, string][] = [
      ['/api/v1/users/current/summaries?start=2025-09-10', 400, 'missing_range'],
      ['/api/v1/users/current/summaries?start=2025-09-10&end=2025-09-01', 400, 'invalid_range'],
      ['/api/v1/users/current/summaries?start=2025-02-30&end=2025-03-01', 400, 'invalid_date'],
      ['/api/v1/users/current/summaries?range=fortnight', 400, 'invalid_range'],
      ['/api/v1/users/current/summaries?start=2000-01-01&end=2025-01-01', 422, 'range_too_long'],
      [
        '/api/v1/users/current/summaries?start=today&end=today&timezone=Mars/Olympus',
        422,
        'invalid_timezone',
      ],
      ['/api/v1/users/current/stats/fortnight', 400, 'invalid_range'],
      ['/api/v1/users/current/stats/2025-13', 400, 'invalid_range'],
      ['/api/v1/users/current/statusbar/fortnight', 400, 'invalid_range'],
      ['/api/v1/users/current/heartbeats', 400, 'invalid_query'],
      ['/api/v1/users/current/heartbeats?date=yesterday-ish', 400, 'invalid_date'],
      ['/api/v1/users/current/durations?date=2025-09-10&slice_by=mood', 400, 'invalid_query'],
      ['/api/v1/users/bob/summaries?start=today&end=today', 404, 'user_not_found'],
    ]
    for (const [url, status, code] of cases) {
      const res = await h.app.inject({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${key}` },
      })
      assert.equal(res.statusCode, status, `${url}: ${res.body}`)
      assert.equal(res.json<{ code: string }>().code, code, url)
    }
  })
})
