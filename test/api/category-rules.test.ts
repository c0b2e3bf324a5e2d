/**
 * Category rules: generic events (window watcher, browser) counted under the category a rule
 * gives them, in every summary, through the rollups too; a change of rules recounts history.
 * Whatever sent them (Skopio's events, WakaTime heartbeats, ActivityWatch watchers), every path
 * that reads them agrees: summaries, the event listing and its filter, search, WakaTime's reads.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { startAw } from '../compat/activitywatch/helpers.ts'
import { eventInput, startApp } from '../helpers.ts'

const at = (hhmm: string) => `2025-09-11T${hhmm}:00Z`
const windowEvent = (from: string, to: string, over: Record<string, unknown>) =>
  eventInput({
    timestamp: at(from),
    end_timestamp: at(to),
    duration: null,
    category: 'Other',
    entity_type: 'App',
    source_name: 'daybook-window',
    branch_name: null,
    language_name: null,
    ...over,
  })

test('rules give generic events their category; a change of rules recounts history', async (t) => {
  const { app, call } = await startApp(t, { now: Date.parse('2025-09-12T12:00:00Z') })
  const res = await call({
    method: 'POST',
    url: '/v1/events',
    payload: [
      windowEvent('09:00', '09:10', { app_name: 'code', entity_name: 'main.rs — daybook' }),
      windowEvent('09:10', '09:30', {
        app_name: 'firefox',
        category: 'Browsing',
        entity_type: 'Url',
        entity_name: 'meet.google.com/abc-defg-hij',
        project_name: 'meet.google.com',
      }),
      windowEvent('09:30', '09:35', { app_name: 'Slack', entity_name: 'general' }),
      windowEvent('09:35', '09:42', { app_name: 'gimp', entity_name: 'logo.xcf' }),
      // A plugin that names its category keeps it.
      eventInput({
        timestamp: at('10:00'),
        end_timestamp: at('10:03'),
        duration: null,
        category: 'Writing Docs',
        app_name: 'code',
      }),
    ],
  })
  assert.equal(res.statusCode, 200, res.body)
  const byCategory = async () => {
    const r = await call({
      url: '/v1/summary/buckets?preset[custom][start]=2025-09-11T00:00:00Z&preset[custom][end]=2025-09-12T00:00:00Z&preset[custom][bucket]=day&groupBy=category&tz=UTC',
    })
    assert.equal(r.statusCode, 200, r.body)
    const out: Record<string, number> = {}
    for (const row of r.json<{ groupedValues: Record<string, number> }[]>()) {
      Object.assign(out, row.groupedValues)
    }
    return out
  }
  const defaults = {
    Coding: 600,
    Meeting: 1200,
    Communicating: 300,
    Other: 420,
    'Writing Docs': 180,
  }
  assert.deepEqual(await byCategory(), defaults)
  // The same through the rollups, once they are current.
  await app.daybook.store.activeTime.settle()
  assert.deepEqual(await byCategory(), defaults)
  const total = await call({
    url: '/v1/summary/total?start=2025-09-11T00:00:00Z&end=2025-09-12T00:00:00Z&categories[]=Meeting',
  })
  assert.equal(total.body, '1200')

  // New rules: only image editors are named; history is counted again under them.
  const put = await call({
    method: 'PUT',
    url: '/v1/settings/categories',
    payload: { rules: [{ match: 'app', pattern: '^(gimp|inkscape)$', category: 'Design' }] },
  })
  assert.equal(put.statusCode, 200, put.body)
  assert.deepEqual(put.json(), {
    rules: [{ match: 'app', pattern: '^(gimp|inkscape)$', category: 'Design' }],
  })
  const recounted = { Other: 900, Browsing: 1200, Design: 420, 'Writing Docs': 180 }
  assert.deepEqual(await byCategory(), recounted)
  await app.daybook.store.activeTime.settle()
  assert.deepEqual(await byCategory(), recounted)
  assert.deepEqual((await call({ url: '/v1/settings/categories' })).json(), put.json())
})

test('a bad rule is refused, naming it, and changes nothing', async (t) => {
  const { call } = await startApp(t)
  const before = (await call({ url: '/v1/settings/categories' })).json()
  for (const [rules, field] of [
    [[{ match: 'app', pattern: '(unclosed', category: 'X' }], 'categoryRules/0/pattern'],
    [[{ match: 'app', pattern: 'a', category: '  ' }], 'categoryRules/0/category'],
  ] as const) {
    const r = await call({ method: 'PUT', url: '/v1/settings/categories', payload: { rules } })
    assert.equal(r.statusCode, 422, r.body)
    assert.equal(r.json<{ field: string }>().field, field)
  }
  const wrongKind = await call({
    method: 'PUT',
    url: '/v1/settings/categories',
    payload: { rules: [{ match: 'window', pattern: 'a', category: 'X' }] },
  })
  assert.equal(wrongKind.statusCode, 422)
  assert.match(wrongKind.json<{ message: string }>().message, /one of app, title, url/)
  assert.deepEqual((await call({ url: '/v1/settings/categories' })).json(), before)
})

test('every path counts a generic event under the category its rule gives, to the second', async (t) => {
  // Sent as `Browsing` or `Other`, counted as `Research` by the rules: WakaTime browsing
  // heartbeats on docs.python.org from 09:00 to 09:10 (one 600 s event), a window watcher's event
  // in Firefox from 10:00 to 10:10, and from ActivityWatch's watchers a Firefox window from 11:00
  // to 11:10 and a docs.python.org tab from 11:20 to 11:30. From 09:30 to 09:35 an image editor
  // no rule names stays `Other`.
  const s = await startAw(t, { now: Date.parse('2025-09-12T12:00:00Z') })
  const { app, call } = s.main
  await call({ method: 'PUT', url: '/v1/settings', payload: { timezone: 'UTC' } })
  const rules = await call({
    method: 'PUT',
    url: '/v1/settings/categories',
    payload: {
      rules: [
        { match: 'app', pattern: '^firefox$', category: 'Research' },
        { match: 'url', pattern: '^docs\\.python\\.org/', category: 'Research' },
      ],
    },
  })
  assert.equal(rules.statusCode, 200, rules.body)
  const heartbeats = await call({
    method: 'POST',
    url: '/api/v1/users/current/heartbeats.bulk',
    headers: { 'user-agent': 'Chrome/120.0.0.0 linux_x86-64 chrome-wakatime/3.0.17' },
    payload: [0, 2, 4, 6, 8, 10].map((m) => ({
      entity: `https://docs.python.org/3/library/asyncio.html#part-${m}`,
      type: 'url',
      category: 'browsing',
      time: Date.parse(at(`09:${String(m).padStart(2, '0')}`)) / 1000,
    })),
  })
  assert.equal(heartbeats.statusCode, 202, heartbeats.body)
  const posted = await call({
    method: 'POST',
    url: '/v1/events',
    payload: [
      windowEvent('10:00', '10:10', {
        app_name: 'Firefox',
        entity_name: 'asyncio — Mozilla Firefox',
        project_name: 'firefox',
      }),
      windowEvent('09:30', '09:35', { app_name: 'gimp', entity_name: 'asyncio.xcf' }),
    ],
  })
  assert.equal(posted.statusCode, 200, posted.body)
  const watchers = [
    ['aw-watcher-window_desk', 'currentwindow', '11:00', { app: 'Firefox', title: 'asyncio' }],
    [
      'aw-watcher-web-chrome_desk',
      'web.tab.current',
      '11:20',
      { url: 'https://docs.python.org/3/library/asyncio-task.html', title: 'Tasks' },
    ],
  ] as const
  for (const [bucket, type, from, data] of watchers) {
    const created = await s.anon({
      method: 'POST',
      url: `/api/0/buckets/${bucket}`,
      payload: { client: 'aw-client', type, hostname: 'desk' },
    })
    assert.equal(created.statusCode, 200, created.body)
    const sent = await s.anon({
      method: 'POST',
      url: `/api/0/buckets/${bucket}/events`,
      payload: [{ timestamp: at(from), duration: 600, data }],
    })
    assert.equal(sent.statusCode, 200, sent.body)
  }

  const expected = { Research: 2400, Other: 300 }
  const day = 'preset[custom][start]=2025-09-11T00:00:00Z&preset[custom][end]=2025-09-12T00:00:00Z'
  const get = async <T>(url: string): Promise<T> => {
    const r = await call({ url })
    assert.equal(r.statusCode, 200, `${url}: ${r.body}`)
    return r.json<T>()
  }
  type Listed = { id: string; category: string; timestamp: string; endTimestamp: string }
  const secondsOf = (events: Listed[]) => {
    const out: Record<string, number> = {}
    for (const e of events) {
      const s = (Date.parse(e.endTimestamp) - Date.parse(e.timestamp)) / 1000
      out[e.category] = (out[e.category] ?? 0) + s
    }
    return out
  }
  /** Seconds per category of the listed events (what the dashboard's timeline colours by). */
  const listed = async (query: string) =>
    secondsOf((await get<{ Flat: Listed[] }>(`/v1/events?${day}&tz=UTC${query}`)).Flat)
  const check = async () => {
    // Buckets by category (the dashboard's bars and its category breakdown): one day's rows.
    const buckets = await get<{ bucket: string; groupedValues: Record<string, number> }[]>(
      `/v1/summary/buckets?${day}&preset[custom][bucket]=day&groupBy=category&tz=UTC`,
    )
    assert.deepEqual(new Set(buckets.map((b) => b.bucket)), new Set(['2025-09-11']))
    assert.deepEqual(Object.assign({}, ...buckets.map((b) => b.groupedValues)), expected)
    // Totals filtered by category.
    const total = (category: string) =>
      get<number>(
        `/v1/summary/total?start=2025-09-11T00:00:00Z&end=2025-09-12T00:00:00Z&categories[]=${category}`,
      )
    assert.deepEqual(
      [await total('Research'), await total('Other'), await total('Browsing')],
      [2400, 300, 0],
    )
    // The event listing and its filter (the dashboard's timeline reads it, filtered or not).
    assert.deepEqual(await listed(''), expected)
    assert.deepEqual(await listed('&categories[]=Research'), { Research: 2400 })
    assert.deepEqual(await listed('&categories[]=Other'), { Other: 300 })
    assert.deepEqual(await listed('&categories[]=Browsing'), {})
    assert.deepEqual(await listed('&categories[]=Other&categories[]=Research'), expected)
    // WakaTime's summaries and durations by category.
    const summaries = await get<{
      data: { categories: { name: string; total_seconds: number }[] }[]
    }>('/api/v1/users/current/summaries?start=2025-09-11&end=2025-09-11')
    assert.deepEqual(
      summaries.data.map((d) =>
        Object.fromEntries(d.categories.map((c) => [c.name, c.total_seconds])),
      ),
      [expected],
    )
    const durations = await get<{ data: { category: string; duration: number }[] }>(
      '/api/v1/users/current/durations?date=2025-09-11&slice_by=category',
    )
    const sliced: Record<string, number> = {}
    for (const d of durations.data) sliced[d.category] = (sliced[d.category] ?? 0) + d.duration
    assert.deepEqual(sliced, expected)
    // Search hits name the category their time counts under.
    const hits = await call({
      method: 'POST',
      url: '/v1/search/events',
      payload: { text: 'asyncio' },
    })
    assert.equal(hits.statusCode, 200, hits.body)
    assert.deepEqual(secondsOf(hits.json<{ event: Listed }[]>().map((h) => h.event)), expected)
  }
  await check()
  // The same once the rollups are current.
  await app.daybook.store.activeTime.settle()
  await check()
})

test('a listing filtered by a category the rules give pages without skipping or repeating', async (t) => {
  const { call } = await startApp(t, { now: Date.parse('2025-09-12T12:00:00Z') })
  await call({
    method: 'PUT',
    url: '/v1/settings/categories',
    payload: { rules: [{ match: 'app', pattern: '^firefox$', category: 'Research' }] },
  })
  // Twelve generic events, every third in Firefox; a plugin's own `Research` event among them.
  const events = Array.from({ length: 12 }, (_, i) =>
    windowEvent(
      `09:${String(i * 2).padStart(2, '0')}`,
      `09:${String(i * 2 + 1).padStart(2, '0')}`,
      {
        app_name: i % 3 === 0 ? 'Firefox' : 'gimp',
        entity_name: `page ${i}`,
      },
    ),
  )
  events.push(
    eventInput({ timestamp: at('09:05'), end_timestamp: at('09:06'), category: 'Research' }),
  )
  assert.equal((await call({ method: 'POST', url: '/v1/events', payload: events })).statusCode, 200)
  const base =
    '/v1/events?preset[custom][start]=2025-09-11T00:00:00Z&preset[custom][end]=2025-09-12T00:00:00Z&categories[]=Research'
  const all = (await call({ url: base })).json<{ Flat: { id: string; timestamp: string }[] }>().Flat
  assert.deepEqual(
    all.map((e) => e.timestamp.slice(11, 16)),
    ['09:00', '09:05', '09:06', '09:12', '09:18'],
  )
  for (const limit of [1, 2, 3, 5, 6]) {
    const seen: string[] = []
    let after: string | undefined
    for (;;) {
      const res = await call({
        url: `${base}&limit=${limit}${after === undefined ? '' : `&after=${after}`}`,
      })
      assert.equal(res.statusCode, 200, res.body)
      const page = res.json<{ Flat: { id: string }[] }>().Flat
      assert.ok(page.length <= limit)
      seen.push(...page.map((e) => e.id))
      const next = res.headers['daybook-next-cursor']
      if (next === undefined) break
      // A cursor is only given when another page holds events.
      assert.equal(page.length, limit)
      after = String(next)
    }
    assert.deepEqual(
      seen,
      all.map((e) => e.id),
      `limit ${limit}`,
    )
  }
})

test('property: a listing filtered by categories is the unfiltered listing of those categories, page by page', async (t) => {
  const { call } = await startApp(t, { now: Date.parse('2025-09-12T12:00:00Z') })
  const DAY = 'preset[custom][start]=2025-09-11T00:00:00Z&preset[custom][end]=2025-09-12T00:00:00Z'
  const CATEGORIES = ['Coding', 'Other', 'Browsing', 'Research', 'Meeting']
  const eventArb = fc.record({
    minute: fc.integer({ min: 0, max: 600 }),
    category: fc.constantFrom('Coding', 'Other', 'Browsing', 'Research'),
    app: fc.constantFrom('Firefox', 'code', 'gimp'),
    entity: fc.constantFrom(
      ['docs.python.org/3/', 'Url'],
      ['meet.google.com/abc', 'Url'],
      ['main.rs', 'File'],
      ['Inbox', 'App'],
    ),
  })
  const rulesArb = fc.array(
    fc.record({
      match: fc.constantFrom('app', 'title', 'url'),
      pattern: fc.constantFrom('^firefox$', '^code$', 'python', 'meet', 'inbox', '.'),
      category: fc.constantFrom(...CATEGORIES),
    }),
    { maxLength: 3 },
  )
  type Listed = { id: string; category: string }
  const list = async (query: string) => {
    const res = await call({ url: `/v1/events?${DAY}${query}` })
    assert.equal(res.statusCode, 200, res.body)
    return { events: res.json<{ Flat: Listed[] }>().Flat, next: res.headers['daybook-next-cursor'] }
  }
  let run = 0
  await fc.assert(
    fc.asyncProperty(
      fc.array(eventArb, { maxLength: 25 }),
      rulesArb,
      fc.subarray(CATEGORIES, { minLength: 1 }),
      fc.integer({ min: 1, max: 6 }),
      async (events, rules, wanted, limit) => {
        run++
        await call({
          method: 'POST',
          url: '/v1/events/delete',
          payload: { start: '2025-09-11T00:00:00Z', end: '2025-09-12T00:00:00Z' },
        })
        const put = await call({
          method: 'PUT',
          url: '/v1/settings/categories',
          payload: { rules },
        })
        assert.equal(put.statusCode, 200, put.body)
        const sent = await call({
          method: 'POST',
          url: '/v1/events',
          payload: events.map((e, i) =>
            eventInput({
              timestamp: new Date(Date.parse(at('08:00')) + e.minute * 60_000).toISOString(),
              end_timestamp: new Date(
                Date.parse(at('08:00')) + (e.minute + 5) * 60_000,
              ).toISOString(),
              duration: null,
              category: e.category,
              app_name: e.app,
              // A fresh name each run and event: deleted events stay deleted.
              entity_name: `${e.entity[0]} ${run}.${i}`,
              entity_type: e.entity[1],
              source_name: 'daybook-window',
            }),
          ),
        })
        assert.equal(sent.statusCode, 200, sent.body)
        const filter = wanted.map((c) => `&categories[]=${c}`).join('')
        const expected = (await list('')).events.filter((e) => wanted.includes(e.category))
        const seen: Listed[] = []
        let after: string | undefined
        for (;;) {
          const page = await list(
            `${filter}&limit=${limit}${after === undefined ? '' : `&after=${after}`}`,
          )
          assert.ok(page.events.length <= limit)
          seen.push(...page.events)
          if (page.next === undefined) break
          assert.equal(page.events.length, limit, 'a cursor only when another page holds events')
          after = String(page.next)
        }
        assert.deepEqual(seen, expected)
      },
    ),
    { numRuns: 25, endOnFailure: true },
  )
})
