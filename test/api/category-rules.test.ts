/**
 * Category rules: generic events (window watcher, browser) counted under the category a rule
 * gives them, in every summary, through the rollups too; a change of rules recounts history.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
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
  // WakaTime browsing heartbeats on docs.python.org from 09:00 to 09:10 (one 600 s event), and a
  // window watcher's `Other` event in Firefox from 10:00 to 10:10; rules name both `Research`.
  const { app, call } = await startApp(t, { now: Date.parse('2025-09-12T12:00:00Z') })
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
    ],
  })
  assert.equal(posted.statusCode, 200, posted.body)

  const research = { Research: 1200 }
  const day = 'preset[custom][start]=2025-09-11T00:00:00Z&preset[custom][end]=2025-09-12T00:00:00Z'
  const get = async <T>(url: string): Promise<T> => {
    const r = await call({ url })
    assert.equal(r.statusCode, 200, `${url}: ${r.body}`)
    return r.json<T>()
  }
  /** Seconds per category of listed events (what the dashboard's timeline colours by). */
  const listed = async (query: string) => {
    const out: Record<string, number> = {}
    const body = await get<{
      Flat: { category: string; timestamp: string; endTimestamp: string }[]
    }>(`/v1/events?${day}&tz=UTC${query}`)
    for (const e of body.Flat) {
      const s = (Date.parse(e.endTimestamp) - Date.parse(e.timestamp)) / 1000
      out[e.category] = (out[e.category] ?? 0) + s
    }
    return out
  }
  const check = async () => {
    // Buckets by category (the dashboard's bars and breakdown).
    const buckets = await get<{ groupedValues: Record<string, number> }[]>(
      `/v1/summary/buckets?${day}&preset[custom][bucket]=day&groupBy=category&tz=UTC`,
    )
    assert.deepEqual(
      buckets.map((b) => b.groupedValues),
      [research],
    )
    // Totals filtered by category.
    const total = (category: string) =>
      get<number>(
        `/v1/summary/total?start=2025-09-11T00:00:00Z&end=2025-09-12T00:00:00Z&categories[]=${category}`,
      )
    assert.deepEqual(
      [await total('Research'), await total('Browsing'), await total('Other')],
      [1200, 0, 0],
    )
    // The event listing and its filter (the dashboard's timeline reads it, filtered or not).
    assert.deepEqual(await listed(''), research)
    assert.deepEqual(await listed('&categories[]=Research'), research)
    assert.deepEqual(await listed('&categories[]=Other'), {})
    assert.deepEqual(await listed('&categories[]=Browsing'), {})
    // WakaTime's summaries and durations by category.
    const summaries = await get<{
      data: { categories: { name: string; total_seconds: number }[] }[]
    }>('/api/v1/users/current/summaries?start=2025-09-11&end=2025-09-11')
    assert.deepEqual(
      summaries.data.map((d) =>
        Object.fromEntries(d.categories.map((c) => [c.name, c.total_seconds])),
      ),
      [research],
    )
    const durations = await get<{ data: { category: string; duration: number }[] }>(
      '/api/v1/users/current/durations?date=2025-09-11&slice_by=category',
    )
    const sliced: Record<string, number> = {}
    for (const d of durations.data) sliced[d.category] = (sliced[d.category] ?? 0) + d.duration
    assert.deepEqual(sliced, research)
  }
  await check()
  // The same once the rollups are current.
  await app.daybook.store.activeTime.settle()
  await check()
})
