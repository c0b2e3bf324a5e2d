import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { makeCalendar } from '../../src/domain/calendar.ts'
import { type Preset, resolvePreset } from '../../src/domain/presets.ts'

const iso = (ms: number) => new Date(ms).toISOString()
const at = (s: string) => Date.parse(s)
const HOUR = 3_600_000

function range(preset: Preset, now: string, zone: string, startOfDay = '00:00') {
  const r = resolvePreset(preset, at(now), makeCalendar(zone, startOfDay))
  return {
    start: iso(r.startMs),
    end: iso(r.endMs),
    hours: (r.endMs - r.startMs) / HOUR,
    bucket: r.bucket,
  }
}

describe('today and yesterday follow local midnights', () => {
  test('Berlin spring-forward day has 23 hours', () => {
    assert.deepEqual(range({ type: 'today' }, '2025-03-30T12:00:00Z', 'Europe/Berlin'), {
      start: '2025-03-29T23:00:00.000Z',
      end: '2025-03-30T22:00:00.000Z',
      hours: 23,
      bucket: 'hour',
    })
  })

  test('Berlin fall-back day has 25 hours', () => {
    assert.equal(range({ type: 'today' }, '2025-10-26T12:00:00Z', 'Europe/Berlin').hours, 25)
  })

  test('New York: yesterday of the day after fall-back is 25 hours', () => {
    assert.deepEqual(range({ type: 'yesterday' }, '2025-11-03T15:00:00Z', 'America/New_York'), {
      start: '2025-11-02T04:00:00.000Z',
      end: '2025-11-03T05:00:00.000Z',
      hours: 25,
      bucket: 'hour',
    })
  })

  test('New York spring-forward day has 23 hours', () => {
    assert.equal(range({ type: 'today' }, '2025-03-09T18:00:00Z', 'America/New_York').hours, 23)
  })

  test('a half-hour zone (Asia/Kolkata) starts its day at 18:30 UTC', () => {
    assert.deepEqual(range({ type: 'today' }, '2025-06-01T20:00:00Z', 'Asia/Kolkata'), {
      start: '2025-06-01T18:30:00.000Z',
      end: '2025-06-02T18:30:00.000Z',
      hours: 24,
      bucket: 'hour',
    })
  })

  test('Adelaide (+10:30 to +9:30) fall-back day has 25 hours', () => {
    assert.equal(range({ type: 'today' }, '2025-04-06T03:00:00Z', 'Australia/Adelaide').hours, 25)
  })

  test('start of day 04:00: 02:00 local still belongs to the previous day', () => {
    assert.deepEqual(range({ type: 'today' }, '2025-03-05T01:00:00Z', 'Europe/Berlin', '04:00'), {
      start: '2025-03-04T03:00:00.000Z',
      end: '2025-03-05T03:00:00.000Z',
      hours: 24,
      bucket: 'hour',
    })
  })
})

describe('weeks and months', () => {
  test('thisWeek runs Monday to Monday, local', () => {
    // 2025-03-30 is a Sunday: the week began Monday 2025-03-24 (CET) and ends 2025-03-31 (CEST).
    assert.deepEqual(range({ type: 'thisWeek' }, '2025-03-30T12:00:00Z', 'Europe/Berlin'), {
      start: '2025-03-23T23:00:00.000Z',
      end: '2025-03-30T22:00:00.000Z',
      hours: 7 * 24 - 1,
      bucket: 'day',
    })
  })

  test('lastWeek is the seven days before this Monday', () => {
    const r = range({ type: 'lastWeek' }, '2025-03-30T12:00:00Z', 'Europe/Berlin')
    assert.equal(r.start, '2025-03-16T23:00:00.000Z')
    assert.equal(r.end, '2025-03-23T23:00:00.000Z')
  })

  test('thisMonth and lastMonth run from the 1st to the 1st', () => {
    assert.deepEqual(range({ type: 'thisMonth' }, '2025-03-15T12:00:00Z', 'Europe/Berlin'), {
      start: '2025-02-28T23:00:00.000Z',
      end: '2025-03-31T22:00:00.000Z',
      hours: 31 * 24 - 1,
      bucket: 'day',
    })
    const last = range({ type: 'lastMonth' }, '2025-03-15T12:00:00Z', 'America/New_York')
    assert.equal(last.start, '2025-02-01T05:00:00.000Z')
    assert.equal(last.end, '2025-03-01T05:00:00.000Z')
  })
})

describe('lastN presets cover exactly N periods', () => {
  test('lastNDays including today covers today and the N−1 days before', () => {
    const r = range(
      { type: 'lastNDays', n: 7, includeCurrent: true },
      '2025-03-30T12:00:00Z',
      'Europe/Berlin',
    )
    assert.equal(r.start, '2025-03-23T23:00:00.000Z') // Monday 24th, local midnight
    assert.equal(r.end, '2025-03-30T22:00:00.000Z') // Monday 31st, local midnight
    assert.equal(r.hours, 7 * 24 - 1) // seven local days, one of them 23 hours
    assert.equal(r.bucket, 'day')
  })

  test('lastNDays without today covers the N days before today', () => {
    const r = range(
      { type: 'lastNDays', n: 7, includeCurrent: false },
      '2025-03-30T12:00:00Z',
      'Europe/Berlin',
    )
    assert.equal(r.start, '2025-03-22T23:00:00.000Z')
    assert.equal(r.end, '2025-03-29T23:00:00.000Z')
    assert.equal(r.hours, 7 * 24)
  })

  test('lastNDays(1) is exactly today', () => {
    const now = '2025-11-02T17:00:00Z'
    const one = range({ type: 'lastNDays', n: 1, includeCurrent: true }, now, 'America/New_York')
    const today = range({ type: 'today' }, now, 'America/New_York')
    assert.deepEqual([one.start, one.end, one.hours], [today.start, today.end, 25])
  })

  test('lastNWeeks, lastNMonths and lastNYears', () => {
    const now = '2025-03-30T12:00:00Z'
    const w = range({ type: 'lastNWeeks', n: 2, includeCurrent: false }, now, 'Europe/Berlin')
    assert.deepEqual(
      [w.start, w.end, w.bucket],
      ['2025-03-09T23:00:00.000Z', '2025-03-23T23:00:00.000Z', 'week'],
    )
    const m = range({ type: 'lastNMonths', n: 3, includeCurrent: true }, now, 'Europe/Berlin')
    assert.deepEqual(
      [m.start, m.end, m.bucket],
      ['2024-12-31T23:00:00.000Z', '2025-03-31T22:00:00.000Z', 'month'],
    )
    const y = range({ type: 'lastNYears', n: 2, includeCurrent: false }, now, 'UTC')
    assert.deepEqual(
      [y.start, y.end, y.bucket],
      ['2023-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', 'year'],
    )
  })

  test('lastNMinutes ends now', () => {
    const r = range({ type: 'lastNMinutes', n: 90 }, '2025-03-30T12:00:00Z', 'UTC')
    assert.deepEqual([r.start, r.end], ['2025-03-30T10:30:00.000Z', '2025-03-30T12:00:00.000Z'])
  })

  test('N out of bounds is rejected, not clamped', () => {
    const cal = makeCalendar('UTC')
    for (const n of [0, -1, 3661, 1.5]) {
      assert.throws(() => resolvePreset({ type: 'lastNDays', n, includeCurrent: true }, 0, cal), {
        code: 'invalid_preset',
      })
    }
  })
})

test('custom passes through and rejects end before start', () => {
  const cal = makeCalendar('UTC')
  assert.deepEqual(
    resolvePreset({ type: 'custom', startMs: 5, endMs: 10, bucket: 'week' }, 0, cal),
    {
      startMs: 5,
      endMs: 10,
      bucket: 'week',
    },
  )
  assert.throws(
    () => resolvePreset({ type: 'custom', startMs: 10, endMs: 5, bucket: 'day' }, 0, cal),
    {
      code: 'invalid_range',
    },
  )
})

test('an unknown zone is an error, not UTC', () => {
  assert.throws(() => makeCalendar('Mars/Olympus_Mons'), { code: 'invalid_timezone' })
})
