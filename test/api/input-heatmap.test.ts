import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { Temporal } from 'temporal-polyfill'
import { type HeatmapCell, heatmapCells } from '../../src/api/routes/input-heatmap.ts'
import { startApp } from '../helpers.ts'

const T = (iso: string) => Date.parse(iso)

type Cell = HeatmapCell

test('GET /v1/input/heatmap: counts per local weekday and hour, by the zone rules', async (t) => {
  const { call, setNow } = await startApp(t, { now: T('2025-04-01T12:00:00Z') })
  // Kept for good: the clock moves over months below, past the default 30 days of retention.
  const keep = await call({
    method: 'PUT',
    url: '/v1/settings',
    payload: { inputRetentionDays: 0 },
  })
  assert.equal(keep.statusCode, 200, keep.body)
  let n = 0
  /** Posts one bucket per timestamp (counts scaled by `k` to tell them apart). */
  const post = async (stamps: string[], device?: string) => {
    const res = await call({
      method: 'POST',
      url: '/v1/input',
      payload: {
        source: 'test-input',
        ...(device === undefined ? {} : { device }),
        buckets: stamps.map((iso) => {
          const k = ++n
          return {
            id: `b${k}`,
            timestamp_ms: T(iso),
            lc: k,
            rc: 1,
            mc: 0,
            kp: 10 * k,
            mm: 100,
            scroll: 2,
          }
        }),
      },
    })
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json().inserted, stamps.length)
  }
  const heatmap = async (query: string) => {
    const res = await call({ url: `/v1/input/heatmap?${query}` })
    assert.equal(res.statusCode, 200, res.body)
    return res.json<{ tz: string; start: string; end: string; cells: Cell[] }>()
  }
  /** The cell a bucket with counter `k` makes, `count` such buckets summed. */
  const cell = (weekday: number, hour: number, ks: number[]): Cell => ({
    weekday,
    hour,
    keys: ks.reduce((s, k) => s + 10 * k, 0),
    clicks: ks.reduce((s, k) => s + k + 1, 0),
    moves: 100 * ks.length,
    scrolls: 2 * ks.length,
  })

  // Spring forward in Berlin, Sunday 2025-03-30: 02:00 CET (01:00Z) became 03:00 CEST.
  await post(['2025-03-30T00:55:00Z', '2025-03-30T01:00:00Z']) // k = 1, 2
  // Kolkata is UTC+05:30: a bucket at :25 past a UTC hour is at :55 local, one at :30 is on the
  // next local hour.
  setNow(T('2025-09-11T12:00:00Z'))
  await post([
    '2025-09-08T18:25:00Z', // k = 3: Monday 23:55 IST
    '2025-09-08T18:30:00Z', // k = 4: Tuesday 00:00 IST
    '2025-09-08T18:35:00Z', // k = 5: Tuesday 00:05 IST
    '2025-09-10T03:25:00Z', // k = 6: Wednesday 08:55 IST
    '2025-09-10T03:30:00Z', // k = 7: Wednesday 09:00 IST
  ])
  await post(['2025-09-10T03:40:00Z'], 'desk') // k = 8: Wednesday 09:10 IST, another device
  // Fall back in Berlin, Sunday 2025-10-26: 03:00 CEST (01:00Z) became 02:00 CET again.
  setNow(T('2025-10-27T12:00:00Z'))
  await post([
    '2025-10-25T23:55:00Z', // k = 9: Sunday 01:55 CEST
    '2025-10-26T00:30:00Z', // k = 10: Sunday 02:30 CEST
    '2025-10-26T01:30:00Z', // k = 11: Sunday 02:30 CET, the same local hour an hour later
    '2025-10-26T02:00:00Z', // k = 12: Sunday 03:00 CET
  ])

  await t.test('a half-hour zone: buckets split where the local hour turns', async () => {
    const kolkata = await heatmap(
      'tz=Asia/Kolkata&start=2025-09-08T00:00:00Z&end=2025-09-11T00:00:00Z',
    )
    assert.equal(kolkata.tz, 'Asia/Kolkata')
    assert.equal(kolkata.start, '2025-09-08T00:00:00Z')
    assert.equal(kolkata.end, '2025-09-11T00:00:00Z')
    assert.deepEqual(kolkata.cells, [
      cell(1, 23, [3]),
      cell(2, 0, [4, 5]),
      cell(3, 8, [6]),
      cell(3, 9, [7, 8]),
    ])
    // The same buckets in UTC fall in whole UTC hours.
    const utc = await heatmap('tz=UTC&start=2025-09-08T00:00:00Z&end=2025-09-11T00:00:00Z')
    assert.deepEqual(utc.cells, [cell(1, 18, [3, 4, 5]), cell(3, 3, [6, 7, 8])])
  })

  await t.test('devices: only the named devices count', async () => {
    const desk = await heatmap(
      'tz=Asia/Kolkata&start=2025-09-08T00:00:00Z&end=2025-09-11T00:00:00Z&devices[]=desk',
    )
    assert.deepEqual(desk.cells, [cell(3, 9, [8])])
    const nobody = await heatmap(
      'tz=Asia/Kolkata&start=2025-09-08T00:00:00Z&end=2025-09-11T00:00:00Z&devices[]=nowhere',
    )
    assert.deepEqual(nobody.cells, [])
  })

  await t.test('DST: the skipped hour is empty, the repeated hour holds both', async () => {
    const spring = await heatmap(
      'tz=Europe/Berlin&start=2025-03-29T00:00:00Z&end=2025-04-01T00:00:00Z',
    )
    assert.deepEqual(spring.cells, [cell(7, 1, [1]), cell(7, 3, [2])])
    const autumn = await heatmap(
      'tz=Europe/Berlin&start=2025-10-25T00:00:00Z&end=2025-10-27T00:00:00Z',
    )
    assert.deepEqual(autumn.cells, [cell(7, 1, [9]), cell(7, 2, [10, 11]), cell(7, 3, [12])])
  })

  await t.test('start is inclusive, end exclusive, by bucket start', async () => {
    const one = await heatmap('tz=UTC&start=2025-09-08T18:30:00Z&end=2025-09-08T18:35:00Z')
    assert.deepEqual(one.cells, [cell(1, 18, [4])])
  })

  await t.test('presets resolve in the zone; the zone defaults to the setting', async () => {
    // Now is Monday 2025-10-27 17:30 IST: this week began Monday 00:00 IST.
    const week = await heatmap('tz=Asia/Kolkata&preset=thisWeek')
    assert.deepEqual([week.start, week.end], ['2025-10-26T18:30:00Z', '2025-11-02T18:30:00Z'])
    assert.deepEqual(week.cells, [])
    const lastWeek = await heatmap('tz=Europe/Berlin&preset=lastWeek')
    assert.deepEqual(lastWeek.cells, [cell(7, 1, [9]), cell(7, 2, [10, 11]), cell(7, 3, [12])])

    const put = await call({
      method: 'PUT',
      url: '/v1/settings',
      payload: { timezone: 'Asia/Kolkata' },
    })
    assert.equal(put.statusCode, 200, put.body)
    const byDefault = await heatmap('start=2025-09-08T00:00:00Z&end=2025-09-11T00:00:00Z')
    assert.equal(byDefault.tz, 'Asia/Kolkata')
    assert.deepEqual(byDefault.cells[0], cell(1, 23, [3]))
  })

  await t.test('the OpenAPI document describes the route and its cells', async () => {
    const doc = (await call({ url: '/v1/openapi.json' })).json<{
      paths: Record<string, { get?: { parameters?: { name: string }[] } }>
    }>()
    const names = doc.paths['/v1/input/heatmap']?.get?.parameters?.map((p) => p.name) ?? []
    for (const name of ['start', 'end', 'tz']) assert.ok(names.includes(name), name)
  })

  await t.test('bad queries: the summary routes’ errors, and nothing without a range', async () => {
    const cases: [string, number, string][] = [
      ['', 400, 'missing_range'],
      ['start=2025-09-08T00:00:00Z', 400, 'missing_range'],
      ['preset=today&start=2025-09-08T00:00:00Z', 400, 'conflicting_range'],
      ['start=2025-09-09T00:00:00Z&end=2025-09-08T00:00:00Z', 422, 'invalid_range'],
      ['start=yesterday&end=2025-09-08T00:00:00Z', 400, 'invalid_timestamp'],
      ['preset=someday', 400, 'invalid_query'],
      ['preset=today&tz=Mars/Olympus', 422, 'invalid_timezone'],
    ]
    for (const [query, status, code] of cases) {
      const res = await call({ url: `/v1/input/heatmap?${query}` })
      assert.equal(res.statusCode, status, `${query}: ${res.body}`)
      assert.equal(res.json().code, code, query)
    }
  })
})

test('the cells match Temporal bucket by bucket, in zones with odd offsets and DST', () => {
  const zones = [
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'America/St_Johns',
    'Australia/Lord_Howe',
    'Pacific/Chatham',
    'Europe/Berlin',
    'America/Los_Angeles',
  ]
  const FIVE_MIN = 300_000
  const FROM = T('2020-01-01T00:00:00Z')
  const UNTIL = T('2030-01-01T00:00:00Z')
  const bucketMs = fc
    .integer({ min: FROM / FIVE_MIN, max: UNTIL / FIVE_MIN })
    .map((i) => i * FIVE_MIN)
  /** The zone's offset changes between FROM and UNTIL. */
  const transitions = (zone: string): number[] => {
    const out: number[] = []
    let at = Temporal.Instant.fromEpochMilliseconds(FROM).toZonedDateTimeISO(zone)
    for (;;) {
      const next = at.getTimeZoneTransition('next')
      if (!next || next.epochMilliseconds >= UNTIL) return out
      out.push(next.epochMilliseconds)
      at = next
    }
  }
  // The cells are worked out with one offset per run of buckets between two transitions: the
  // interesting buckets lie on either side of one transition, in time order as the store gives
  // them, or not.
  const historyArb = fc.constantFrom(...zones).chain((zone) => {
    const near = transitions(zone)
    const around =
      near.length === 0
        ? fc.constant([bucketMs])
        : fc
            .constantFrom(...near)
            .map((at) => [
              bucketMs,
              fc
                .integer({ min: -12, max: 12 })
                .map((k) => Math.floor(at / FIVE_MIN) * FIVE_MIN + k * FIVE_MIN),
            ])
    return fc.tuple(
      fc.constant(zone),
      around.chain((arbs) => fc.array(fc.oneof(...arbs), { maxLength: 60 })),
      fc.boolean(),
    )
  })
  fc.assert(
    fc.property(historyArb, ([zone, unsorted, inOrder]) => {
      const stamps = inOrder ? [...unsorted].sort((a, b) => a - b) : unsorted
      const buckets = stamps.map((ms) => ({
        bucketMs: ms,
        lc: 1,
        rc: 0,
        mc: 0,
        kp: 1,
        mm: 0,
        scroll: 0,
      }))
      const expected = new Map<string, number>()
      for (const ms of stamps) {
        const z = Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(zone)
        const key = `${z.dayOfWeek}/${z.hour}`
        expected.set(key, (expected.get(key) ?? 0) + 1)
      }
      const got = new Map(
        heatmapCells(buckets, zone).map((c) => [`${c.weekday}/${c.hour}`, c.keys]),
      )
      assert.deepEqual(got, expected)
    }),
    { numRuns: 200 },
  )
})
