/**
 * What the dashboard computes by itself from the API's rows, without a browser: the weekday
 * profile, the calendar's shades, the CSV of a view, the rows of Compare, and the timeline's
 * scale (its zoom, the hours that have data, the axis's ticks, the bars a lane draws).
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Bucket } from '../../src/client/api.ts'
import { makeCalendar, splitRange } from '../../src/domain/calendar.ts'
import { bucketsCsv, csvCell, toCsv } from '../../web/src/csv.ts'
import { blocks, clampView, dataHours, type Item, type Row, ticks } from '../../web/src/lanes.ts'
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

describe("the timeline's scale", () => {
  const H = 3_600_000
  const M = 60_000
  const dayStart = Date.UTC(2025, 2, 3)
  const day = { startMs: dayStart, endMs: dayStart + 24 * H }
  const hours = splitRange(day, 'hour', makeCalendar('UTC'))
  const item = (startMs: number, endMs: number, cls = 'c0'): Item => ({
    startMs,
    endMs,
    cls,
    describe: () => [],
  })
  const row = (items: Item[], cls?: string): Row => ({
    title: 'lane',
    items,
    ...(cls ? { cls } : {}),
  })

  test('a zoom stays inside the day and shows at least five minutes', () => {
    assert.deepEqual(clampView({ startMs: dayStart - H, endMs: dayStart + H }, day), {
      startMs: dayStart,
      endMs: dayStart + 2 * H,
    })
    assert.deepEqual(clampView({ startMs: dayStart + H, endMs: dayStart + H + M }, day), {
      startMs: dayStart + H,
      endMs: dayStart + H + 5 * M,
    })
    assert.deepEqual(clampView({ startMs: dayStart - H, endMs: day.endMs + H }, day), day)
  })

  test('the hours that have data: from the hour of the first stretch to the end of the last', () => {
    const rows = [row([item(dayStart + 9 * H + 10 * M, dayStart + 10 * H)])]
    rows.push(row([item(dayStart + 13 * H, dayStart + 13 * H + 50 * M)]))
    assert.deepEqual(dataHours(rows, hours, day), {
      startMs: dayStart + 9 * H,
      endMs: dayStart + 14 * H,
    })
    assert.deepEqual(dataHours([row([])], hours, day), day)
  })

  test('ticks are whole local hours or minutes within them, far enough apart to read', () => {
    const view = { startMs: dayStart + 9 * H, endMs: dayStart + 16 * H }
    // 1000 pixels for 7 hours: half an hour is 71 pixels, a quarter 36.
    const half = ticks(hours, view, 1000, 64)
    assert.equal(half.length, 14)
    assert.deepEqual(half.slice(0, 3), [dayStart + 9 * H, dayStart + 9.5 * H, dayStart + 10 * H])
    const hour = { startMs: dayStart + 10 * H, endMs: dayStart + 11 * H }
    assert.deepEqual(ticks(hours, hour, 1000, 64).slice(0, 2), [
      dayStart + 10 * H,
      dayStart + 10 * H + 5 * M,
    ])
    // The whole day on a phone: every three hours.
    assert.deepEqual(
      ticks(hours, day, 300, 64).map((t) => (t - dayStart) / H),
      [0, 6, 12, 18],
    )
  })

  test('a lane draws one bar where stretches meet within a pixel, labels each on their own', () => {
    // A day of one-minute heartbeats, back to back, on 1000 pixels: thousands of items.
    const beats = Array.from({ length: 24 * 60 }, (_, i) =>
      item(dayStart + i * M, dayStart + (i + 1) * M, i % 120 < 60 ? 'c0' : 'c1'),
    )
    const drawn = blocks(row(beats), day, 1000)
    // Runs of an hour in one colour: one bar each.
    assert.equal(drawn.length, 24)
    assert.deepEqual(drawn[0], {
      startMs: dayStart,
      endMs: dayStart + H,
      cls: 'c0',
      first: 0,
      last: 59,
      lead: 0,
    })
    // Wide stretches of one colour that meet stay two bars, each with its own name.
    const wide = [item(dayStart, dayStart + H), item(dayStart + H, dayStart + 2 * H)]
    assert.equal(blocks(row(wide), day, 1000).length, 2)
    // A gap of more than a pixel keeps stretches apart; zoomed in, every one is its own bar.
    const apart = [item(dayStart, dayStart + M), item(dayStart + 10 * M, dayStart + 11 * M)]
    assert.equal(blocks(row(apart), day, 1000).length, 2)
    assert.equal(blocks(row(beats), { startMs: dayStart, endMs: dayStart + H }, 1000).length, 60)
    const labels = [
      item(dayStart, dayStart + H, 'label'),
      item(dayStart + H, dayStart + 2 * H, 'label'),
    ]
    assert.equal(blocks(row(labels, 'labels'), day, 1000).length, 2)
    // A sliver of another colour, under a pixel, goes into the bar it touches.
    const sliver = [
      item(dayStart, dayStart + H),
      item(dayStart + H, dayStart + H + 30_000, 'c1'),
      item(dayStart + H + 30_000, dayStart + 2 * H, 'c2'),
    ]
    assert.deepEqual(
      blocks(row(sliver), day, 1000).map((b) => [b.cls, b.first, b.last]),
      [
        ['c0', 0, 1],
        ['c2', 2, 2],
      ],
    )
    // Outside the view: not drawn.
    assert.deepEqual(
      blocks(row(apart), { startMs: dayStart + H, endMs: dayStart + 2 * H }, 1000),
      [],
    )
  })
})
