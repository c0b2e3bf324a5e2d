import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { bucketLabel, makeCalendar, splitRange } from '../../src/domain/calendar.ts'

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

  test('labels follow the seed formats', () => {
    const cal = makeCalendar('UTC')
    const t = at('2025-03-03T09:41:00Z')
    assert.deepEqual(
      (['hour', 'day', 'week', 'month', 'year'] as const).map((u) => bucketLabel(t, u, cal)),
      ['2025-03-03 09:00:00', '2025-03-03', '2025-W10', '2025-03', '2025'],
    )
  })
})
