import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { Temporal } from 'temporal-polyfill'
import {
  type BucketUnit,
  type Calendar,
  bucketLabel,
  bucketNext,
  makeCalendar,
  parseTimestamp,
  splitActive,
  splitRange,
} from '../../src/domain/calendar.ts'

const at = (s: string) => Date.parse(s)
const HOUR = 3_600_000

function split(
  from: string,
  to: string,
  unit: Parameters<typeof splitRange>[1],
  zone: string,
  sod = '00:00',
) {
  return splitRange({ startMs: at(from), endMs: at(to) }, unit, makeCalendar(zone, sod)).map(
    (b) => ({
      label: b.label,
      hours: (b.endMs - b.startMs) / HOUR,
    }),
  )
}

describe('day buckets on the local calendar', () => {
  test('Berlin around both DST changes: 23 and 25 hour days', () => {
    assert.deepEqual(
      split('2025-03-28T23:00:00Z', '2025-03-31T22:00:00Z', 'day', 'Europe/Berlin'),
      [
        { label: '2025-03-29', hours: 24 },
        { label: '2025-03-30', hours: 23 },
        { label: '2025-03-31', hours: 24 },
      ],
    )
    assert.deepEqual(
      split('2025-10-25T22:00:00Z', '2025-10-27T23:00:00Z', 'day', 'Europe/Berlin'),
      [
        { label: '2025-10-26', hours: 25 },
        { label: '2025-10-27', hours: 24 },
      ],
    )
  })

  test('a range that starts mid-day gets a clipped first bucket labelled with that day', () => {
    assert.deepEqual(split('2025-09-11T20:00:00Z', '2025-09-12T06:00:00Z', 'day', 'UTC'), [
      { label: '2025-09-11', hours: 4 },
      { label: '2025-09-12', hours: 6 },
    ])
  })

  test('start of day 04:00 shifts the boundary and keeps the date label', () => {
    // Kolkata is UTC+5:30: 04:00 local = 22:30Z the day before.
    assert.deepEqual(
      split('2025-06-01T22:30:00Z', '2025-06-03T22:30:00Z', 'day', 'Asia/Kolkata', '04:00'),
      [
        { label: '2025-06-02', hours: 24 },
        { label: '2025-06-03', hours: 24 },
      ],
    )
  })
})

describe('hour buckets', () => {
  test('New York fall-back: the repeated 01:00 hour is two buckets with one label', () => {
    const hours = split('2025-11-02T04:00:00Z', '2025-11-02T09:00:00Z', 'hour', 'America/New_York')
    assert.deepEqual(
      hours.map((h) => h.label),
      [
        '2025-11-02 00:00:00',
        '2025-11-02 01:00:00',
        '2025-11-02 01:00:00',
        '2025-11-02 02:00:00',
        '2025-11-02 03:00:00',
      ],
    )
  })

  test('Berlin spring-forward: 02:00 does not exist', () => {
    const hours = split('2025-03-29T23:00:00Z', '2025-03-30T03:00:00Z', 'hour', 'Europe/Berlin')
    assert.deepEqual(
      hours.map((h) => h.label),
      ['2025-03-30 00:00:00', '2025-03-30 01:00:00', '2025-03-30 03:00:00', '2025-03-30 04:00:00'],
    )
  })

  test('a half-hour zone: local hours start at :30 UTC', () => {
    assert.deepEqual(
      split('2025-06-01T00:30:00Z', '2025-06-01T02:30:00Z', 'hour', 'Asia/Kolkata'),
      [
        { label: '2025-06-01 06:00:00', hours: 1 },
        { label: '2025-06-01 07:00:00', hours: 1 },
      ],
    )
  })
})

describe('week, month and year buckets are real calendar periods', () => {
  test('ISO weeks, Monday to Monday, labelled with the ISO week-year', () => {
    assert.deepEqual(split('2024-12-23T00:00:00Z', '2025-01-13T00:00:00Z', 'week', 'UTC'), [
      { label: '2024-W52', hours: 168 },
      { label: '2025-W01', hours: 168 }, // starts Monday 2024-12-30
      { label: '2025-W02', hours: 168 },
    ])
  })

  test('months run from the 1st to the 1st, whatever their length', () => {
    assert.deepEqual(
      split('2024-12-31T23:00:00Z', '2025-04-30T22:00:00Z', 'month', 'Europe/Berlin'),
      [
        { label: '2025-01', hours: 31 * 24 },
        { label: '2025-02', hours: 28 * 24 },
        { label: '2025-03', hours: 31 * 24 - 1 },
        { label: '2025-04', hours: 30 * 24 },
      ],
    )
  })

  test('years', () => {
    assert.deepEqual(
      split('2023-01-01T00:00:00Z', '2025-01-01T00:00:00Z', 'year', 'UTC').map((b) => b.label),
      ['2023', '2024'],
    )
  })

  test('labels follow Skopio formats', () => {
    const cal = makeCalendar('UTC')
    const t = at('2025-03-03T09:41:00Z')
    assert.deepEqual(
      (['hour', 'day', 'week', 'month', 'year'] as const).map((u) => bucketLabel(t, u, cal)),
      ['2025-03-03 09:00:00', '2025-03-03', '2025-W10', '2025-03', '2025'],
    )
  })
})

describe('fast bucket enumeration', () => {
  /** The definition: step from bucket to bucket with Temporal alone. */
  function oracle(range: { startMs: number; endMs: number }, unit: BucketUnit, cal: Calendar) {
    const out: { label: string; startMs: number; endMs: number }[] = []
    for (let start = range.startMs; start < range.endMs;) {
      const next = bucketNext(start, unit, cal)
      out.push({
        label: bucketLabel(start, unit, cal),
        startMs: start,
        endMs: Math.min(next, range.endMs),
      })
      start = next
    }
    return out
  }
  const zones = [
    'UTC',
    'Europe/Berlin',
    'America/New_York',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'Australia/Lord_Howe',
    'Australia/Adelaide',
    'America/Santiago',
    'Pacific/Chatham',
  ]
  const sods = ['00:00', '02:30', '04:00', '23:45', '01:15']

  test('splitRange equals stepping with Temporal, across transitions and odd offsets', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.constantFrom(...sods),
        fc.constantFrom<BucketUnit>('hour', 'day', 'week', 'month'),
        fc.integer({
          min: Date.parse('2019-01-01T00:00:00Z'),
          max: Date.parse('2027-01-01T00:00:00Z'),
        }),
        fc.integer({ min: 1, max: 400 * 86_400_000 }),
        (zone, sod, unit, startMs, lengthMs) => {
          const cal = makeCalendar(zone, sod)
          const len = unit === 'hour' ? lengthMs % (40 * 86_400_000) : lengthMs
          const range = { startMs, endMs: startMs + Math.max(1, len) }
          assert.deepEqual(splitRange(range, unit, cal), oracle(range, unit, cal))
        },
      ),
      { numRuns: 150 },
    )
  })

  test('splitActive returns exactly the buckets that touch an active stretch', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.constantFrom<BucketUnit>('hour', 'day', 'week', 'month', 'year'),
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 900 * 86_400 }),
            fc.integer({ min: 1, max: 3 * 86_400 }),
          ),
          {
            maxLength: 6,
          },
        ),
        (zone, unit, raw) => {
          const cal = makeCalendar(zone, '00:00')
          const base = Date.parse('2024-01-01T00:00:00Z')
          const range = { startMs: base + 3_600_000 * 7, endMs: base + 800 * 86_400_000 }
          const active = raw
            .map(([s, l]) => ({ startMs: base + s * 1000, endMs: base + (s + l) * 1000 }))
            .sort((a, b) => a.startMs - b.startMs)
            .reduce<{ startMs: number; endMs: number }[]>((acc, iv) => {
              const last = acc[acc.length - 1]
              if (last && iv.startMs <= last.endMs) last.endMs = Math.max(last.endMs, iv.endMs)
              else acc.push({ ...iv })
              return acc
            }, [])
          const expected = splitRange(range, unit, cal).filter((b) =>
            active.some((a) => a.startMs < b.endMs && b.startMs < a.endMs),
          )
          assert.deepEqual(splitActive(range, unit, cal, active), expected)
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('hour buckets at half-hour DST changes', () => {
  test('Lord Howe: the autumn hour 01 lasts 90 minutes, the spring hour 02 30 minutes', () => {
    // 2025-04-06 02:00 +11:00 → 01:30 +10:30; 2025-10-05 02:00 +10:30 → 02:30 +11:00.
    assert.deepEqual(
      split('2025-04-05T13:00:00Z', '2025-04-05T16:30:00Z', 'hour', 'Australia/Lord_Howe').map(
        (b) => `${b.label.slice(11, 13)}:${b.hours * 60}`,
      ),
      ['00:60', '01:90', '02:60'],
    )
    assert.deepEqual(
      split('2025-10-04T14:30:00Z', '2025-10-04T17:00:00Z', 'hour', 'Australia/Lord_Howe').map(
        (b) => `${b.label.slice(11, 13)}:${b.hours * 60}`,
      ),
      ['01:60', '02:30', '03:60'],
    )
  })
})

describe('parsing RFC 3339 timestamps', () => {
  test('the fast path agrees with Temporal on every valid form, and refuses what Temporal refuses', () => {
    const pad = (n: number, w = 2) => String(n).padStart(w, '0')
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 9999 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        fc.integer({ min: 0, max: 24 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        fc.option(fc.stringMatching(/^\d{1,9}$/), { nil: undefined }),
        fc.oneof(
          fc.constantFrom('Z', 'z'),
          fc
            .tuple(
              fc.constantFrom('+', '-'),
              fc.integer({ min: 0, max: 24 }),
              fc.integer({ min: 0, max: 60 }),
            )
            .map(([sign, h, m]) => `${sign}${pad(h)}:${pad(m)}`),
        ),
        (y, mo, d, h, mi, s, fraction, zone) => {
          const text = `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}${fraction === undefined ? '' : `.${fraction}`}${zone}`
          let expected: number | string
          try {
            expected = Temporal.Instant.from(text).epochMilliseconds
          } catch {
            expected = 'refused'
          }
          let actual: number | string
          try {
            actual = parseTimestamp(text, 'f')
          } catch {
            actual = 'refused'
          }
          assert.equal(actual, expected, text)
        },
      ),
      { numRuns: 2000 },
    )
  })
})
