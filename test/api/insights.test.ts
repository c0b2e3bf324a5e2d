import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { eventInput, sharedApp, startApp, type TestApp } from '../helpers.ts'

const ev = (start: string, end: string, over: Record<string, unknown> = {}) =>
  eventInput({ timestamp: start, end_timestamp: end, duration: null, ...over })

async function seeded(t: Parameters<typeof startApp>[0], now = '2025-09-30T12:00:00Z') {
  const app = await startApp(t, { now: Date.parse(now) })
  const res = await app.call({
    method: 'POST',
    url: '/events',
    payload: [
      ev('2025-09-28T10:00:00Z', '2025-09-28T10:12:47Z', { language_name: 'Swift' }), // 767 s
      ev('2025-09-28T11:00:00Z', '2025-09-28T11:01:57Z', { language_name: 'Rust' }), // 117 s
      ev('2025-09-28T12:00:00Z', '2025-09-28T12:00:28Z', { language_name: 'Markdown' }), // 28 s
      ev('2025-09-28T13:00:00Z', '2025-09-28T13:00:10Z', { language_name: 'Go' }), // 10 s
      ev('2025-09-29T09:00:00Z', '2025-09-29T09:10:00Z', { language_name: 'Rust' }), // 600 s
      ev('2025-09-30T09:00:00Z', '2025-09-30T09:05:00Z', { language_name: 'Rust' }), // 300 s
      ev('2024-02-05T09:00:00Z', '2024-02-05T10:00:00Z', { language_name: 'Rust' }), // a Monday in 2024
    ],
  })
  assert.equal(res.statusCode, 200, res.body)
  return app
}

async function insight(app: TestApp, query: string) {
  const res = await app.call({ method: 'GET', url: `/insights?${query}` })
  assert.equal(res.statusCode, 200, `${query}: ${res.body}`)
  return res.json()
}

describe('Skopio insight types, in Skopio wire format', () => {
  test('topN: [label, seconds] pairs, largest first', async (t) => {
    const app = await seeded(t)
    assert.deepEqual(
      await insight(app, 'insightType=topN&insightRange=2025&groupBy=language&limit=3&tz=UTC'),
      {
        topN: [
          ['Rust', 1017],
          ['Swift', 767],
          ['Markdown', 28],
        ],
      },
    )
  })

  test('mostActiveDay keeps snake_case total_duration; empty ranges answer an empty day', async (t) => {
    const app = await seeded(t)
    assert.deepEqual(
      await insight(app, 'insightType=mostActiveDay&insightRange=2025&bucket=year&tz=UTC'),
      {
        mostActiveDay: { date: '2025-09-28', total_duration: 922 },
      },
    )
    assert.deepEqual(
      await insight(app, 'insightType=mostActiveDay&insightRange=2023&bucket=month&tz=UTC'),
      {
        mostActiveDay: { date: '', total_duration: 0 },
      },
    )
  })

  test('activeYears: local years with activity, newest first', async (t) => {
    const app = await seeded(t)
    assert.deepEqual(await insight(app, 'insightType=activeYears&tz=UTC'), {
      activeYears: [2025, 2024],
    })
  })

  test('aggregatedAverage over real month buckets, and over weekdays', async (t) => {
    const app = await seeded(t)
    assert.deepEqual(
      await insight(app, 'insightType=aggregatedAverage&insightRange=2024&bucket=month&tz=UTC'),
      {
        aggregatedAverage: { Feb: [['Total', 3600]] },
      },
    )
    // 2025-09-28 is a Sunday, the 29th a Monday, the 30th a Tuesday; keys in alphabetical order.
    const byDay = await insight(
      app,
      'insightType=aggregatedAverage&insightRange=2025-09&bucket=day&groupBy=language&tz=UTC',
    )
    assert.deepEqual(byDay, {
      aggregatedAverage: {
        Mon: [['Rust', 600]],
        Sun: [
          ['Go', 10],
          ['Markdown', 28],
          ['Rust', 117],
          ['Swift', 767],
        ],
        Tue: [['Rust', 300]],
      },
    })
    assert.deepEqual(Object.keys(byDay.aggregatedAverage), ['Mon', 'Sun', 'Tue'])
  })
})

describe('the insights a user asks next', () => {
  test('streak: the longest run and the current one (alive through yesterday)', async (t) => {
    const app = await seeded(t, '2025-10-01T08:00:00Z') // no activity yet on Oct 1st
    assert.deepEqual(await insight(app, 'insightType=streak&tz=UTC'), {
      streak: {
        longest: { days: 3, start: '2025-09-28', end: '2025-09-30' },
        current: { days: 3, start: '2025-09-28', end: '2025-09-30' },
      },
    })
    const later = await seeded(t, '2025-10-03T08:00:00Z')
    assert.deepEqual((await insight(later, 'insightType=streak&tz=UTC')).streak.current, {
      days: 0,
      start: null,
      end: null,
    })
  })

  test('hourOfDay: average seconds per local hour over the days of the range', async (t) => {
    const app = await seeded(t)
    const { hourOfDay } = await insight(app, 'insightType=hourOfDay&insightRange=2025-09-28&tz=UTC')
    assert.equal(hourOfDay.length, 24)
    assert.deepEqual(hourOfDay[10], { hour: 10, averageSeconds: 767 })
    assert.deepEqual(hourOfDay[13], { hour: 13, averageSeconds: 10 })
    assert.deepEqual(hourOfDay[0], { hour: 0, averageSeconds: 0 })
    // The same instants are other hours in Kolkata (UTC+5:30): 10:00Z is 15:30 there.
    const kolkata = await insight(
      app,
      'insightType=hourOfDay&insightRange=2025-09-28&tz=Asia/Kolkata',
    )
    assert.equal(kolkata.hourOfDay[15].averageSeconds, 767)
  })

  test('dailyAverage: over the elapsed days of the range, and over the active ones', async (t) => {
    const app = await seeded(t) // now: 2025-09-30 12:00Z, so 30 days of September have begun
    assert.deepEqual(await insight(app, 'insightType=dailyAverage&insightRange=2025-09&tz=UTC'), {
      dailyAverage: {
        totalSeconds: 1822,
        days: 30,
        activeDays: 3,
        averageSeconds: 60.73,
        activeDayAverageSeconds: 607.33,
      },
    })
  })

  test('insightRange forms: day, month, ISO week, year', async (t) => {
    const app = await seeded(t)
    const total = async (range: string) =>
      (await insight(app, `insightType=dailyAverage&insightRange=${range}&tz=UTC`)).dailyAverage
        .totalSeconds
    assert.equal(await total('2025-09-29'), 600)
    assert.equal(await total('2025-09'), 1822)
    assert.equal(await total('2025-W40'), 900) // Monday 29 Sep – Sunday 5 Oct
    assert.equal(await total('2025-W39'), 922)
    assert.equal(await total('2024'), 3600)
  })
})

describe('bad input', () => {
  const cases: [string, number, string][] = [
    ['insightType=bestDay', 400, 'invalid_query'],
    ['insightRange=2025', 400, 'invalid_query'],
    ['insightType=topN&insightRange=2025&groupBy=language', 400, 'missing_parameter'],
    ['insightType=topN&groupBy=language&limit=3', 400, 'missing_parameter'],
    ['insightType=topN&insightRange=2025&groupBy=mood&limit=3', 400, 'invalid_query'],
    ['insightType=mostActiveDay&insightRange=2025&bucket=day', 422, 'unsupported_bucket'],
    ['insightType=aggregatedAverage&insightRange=2025&bucket=week', 422, 'unsupported_bucket'],
    ['insightType=aggregatedAverage&insightRange=2025', 400, 'missing_parameter'],
    ['insightType=streak&insightRange=2025-13', 400, 'invalid_insight_range'],
    ['insightType=streak&insightRange=2025-02-30', 400, 'invalid_insight_range'],
    ['insightType=streak&insightRange=2025-W54', 400, 'invalid_insight_range'],
    ['insightType=streak&insightRange=last%20year', 400, 'invalid_insight_range'],
    ['insightType=streak&insightRange=2025-09-28T00:00', 400, 'invalid_query'],
  ]
  // Refused, they change nothing: one app serves the table.
  const shared = sharedApp()
  for (const [query, status, code] of cases) {
    test(`${query} → ${status} ${code}`, async () => {
      const app = await shared()
      const res = await app.call({ method: 'GET', url: `/insights?${query}` })
      assert.equal(res.statusCode, status, res.body)
      assert.equal(res.json().code, code)
    })
  }

  test("Skopio's messages are kept for unsupported buckets", async (t) => {
    const app = await startApp(t)
    const res = await app.call({
      method: 'GET',
      url: '/insights?insightType=mostActiveDay&insightRange=2025&bucket=hour',
    })
    assert.equal(res.json().message, 'Only year, month, or week buckets are supported')
  })
})

test('all-time insights over decades of history answer, costing active years, not hours', async (t) => {
  const now = Date.parse('2026-03-10T12:00:00Z')
  const { call } = await startApp(t, { now })
  await call({
    method: 'POST',
    url: '/v1/events',
    payload: [
      eventInput({
        timestamp: '1990-01-02T09:00:00Z',
        end_timestamp: '1990-01-02T09:30:00Z',
        duration: 1800,
      }),
      eventInput({
        timestamp: '2026-03-10T09:15:00Z',
        end_timestamp: '2026-03-10T09:45:00Z',
        duration: 1800,
        entity_name: 'late.rs',
      }),
    ],
  })
  const res = await call({ url: '/v1/insights?insightType=hourOfDay&tz=UTC' })
  assert.equal(res.statusCode, 200, res.body)
  const hours = res.json<{ hourOfDay: { hour: number; averageSeconds: number }[] }>().hourOfDay
  // One hour of activity, all at 09:xx, over the days from 1990-01-02 to 2026-03-10.
  const days = (Date.UTC(2026, 2, 10) - Date.UTC(1990, 0, 2)) / 86_400_000 + 1
  assert.equal(hours.length, 24)
  // Averages are given to the hundredth of a second.
  assert.equal(hours[9]?.averageSeconds, Math.round((3600 / days) * 100) / 100)
  assert.equal(
    hours.reduce((s, h) => s + (h.hour === 9 ? 0 : h.averageSeconds), 0),
    0,
  )
})
