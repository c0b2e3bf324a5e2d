/**
 * What the dashboard computes by itself from the API's rows, without a browser: the weekday
 * profile, the calendar's shades, the CSV of a view and the rows of Compare.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Bucket } from '../../src/client/api.ts'
import { bucketsCsv, csvCell, toCsv } from '../../web/src/csv.ts'
import { compareRows, dayLevels, dayTotals, weekdayProfile } from '../../web/src/profile.ts'

const row = (bucket: string, groupedValues: Record<string, number>): Bucket => ({
  bucket,
  groupedValues,
  groupMeta: null,
})

describe('the weekday profile', () => {
  test('averages each weekday over the days of the range that have begun, empty days as zero', () => {
    // 2025-03-03 is a Monday. Two Mondays (3 h, nothing), one Tuesday (1 h), Wednesday 30 min;
    // the range runs to Sunday the 16th, but "today" is Tuesday the 11th.
    const totals = dayTotals([
      row('2025-03-03', { Coding: 7200, Browsing: 3600 }),
      row('2025-03-04', { Total: 3600 }),
      row('2025-03-05', { Total: 1800 }),
      row('2025-03-12', { Total: 9999 }), // after today: cannot have happened, not counted
    ])
    assert.equal(totals.get('2025-03-03'), 10_800)
    const profile = weekdayProfile(totals, '2025-03-03', '2025-03-16', '2025-03-11')
    assert.deepEqual(
      profile.map((w) => [w.weekday, w.days, w.averageSeconds]),
      [
        [1, 2, 5400],
        [2, 2, 1800],
        [3, 1, 1800],
        [4, 1, 0],
        [5, 1, 0],
        [6, 1, 0],
        [7, 1, 0],
      ],
    )
  })

  test('a range yet to come averages nothing', () => {
    const profile = weekdayProfile(new Map(), '2030-01-01', '2030-01-31', '2025-01-01')
    assert.ok(profile.every((w) => w.days === 0 && w.averageSeconds === 0))
  })
})

describe("the calendar's shades", () => {
  test('quartiles of the active days: one long day does not wash out the rest', () => {
    const totals = new Map([
      ['2025-01-01', 0],
      ['2025-01-02', 600],
      ['2025-01-03', 1200],
      ['2025-01-04', 1800],
      ['2025-01-05', 2400],
      ['2025-01-06', 86_000],
    ])
    const levels = dayLevels(totals)
    assert.deepEqual([...levels.values()], [0, 1, 1, 2, 3, 4], JSON.stringify([...levels]))
  })

  test('any time at all is at least the first shade', () => {
    assert.equal(dayLevels(new Map([['2025-01-01', 1]])).get('2025-01-01'), 1)
  })
})

describe('the view as CSV', () => {
  test('cells are quoted when they must be, and formulas are defused', () => {
    assert.equal(csvCell('plain'), 'plain')
    assert.equal(csvCell(42), '42')
    assert.equal(csvCell('a,b'), '"a,b"')
    assert.equal(csvCell('say "hi"'), '"say ""hi"""')
    assert.equal(csvCell('two\nlines'), '"two\nlines"')
    assert.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`)
    assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)")
    assert.equal(toCsv([['a', 1]]), 'a,1\r\n')
  })

  test('one line per bucket and group with time, largest first, nothing empty', () => {
    const csv = bucketsCsv(
      [
        row('2025-03-03 09:00:00', { Coding: 1800, Browsing: 2700, Idle: 0 }),
        row('2025-03-03 10:00:00', { 'Docs, notes': 774 }),
      ],
      'category',
    )
    assert.equal(
      csv,
      [
        'bucket,category,seconds,duration',
        '2025-03-03 09:00:00,Browsing,2700,45m',
        '2025-03-03 09:00:00,Coding,1800,30m',
        '2025-03-03 10:00:00,"Docs, notes",774,12m 54s',
        '',
      ].join('\r\n'),
    )
  })
})

test("Compare's rows: every group of either side, the larger side's largest first", () => {
  const rows = compareRows(
    new Map([
      ['alpha', 100],
      ['beta', 50],
    ]),
    new Map([
      ['beta', 300],
      ['gamma', 100],
    ]),
  )
  assert.deepEqual(rows, [
    { group: 'beta', a: 50, b: 300 },
    { group: 'alpha', a: 100, b: 0 },
    { group: 'gamma', a: 0, b: 100 },
  ])
})
