/**
 * Properties of active time over random histories: what must hold for any events at all.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { type CalendarBucket, makeCalendar, splitRange } from '../../src/domain/calendar.ts'
import { type ActivityEvent, type AfkPeriod, DIMENSIONS, eventId } from '../../src/domain/events.ts'
import { DEFAULT_SOURCE_PRIORITY } from '../../src/domain/settings.ts'
import { activeSegments, bucketize } from '../../src/domain/summary.ts'
import { sourcePriorityOf, totalSeconds } from '../../src/domain/timeline.ts'

const HOUR = 3_600_000
// Three days around the Berlin and New York fall-back weekends of 2025.
const WINDOW_START = Date.parse('2025-10-25T00:00:00Z')
const WINDOW = 10 * 24 * HOUR
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Adelaide']
const priority = sourcePriorityOf(DEFAULT_SOURCE_PRIORITY)

const eventArb = fc
  .record({
    start: fc.integer({ min: 0, max: WINDOW }),
    length: fc.integer({ min: 0, max: 6 * HOUR }),
    source: fc.constantFrom(
      'skopio-vscode',
      'skopio-zed',
      'daybook-browser',
      'skopio-desktop',
      'other',
    ),
    app: fc.constantFrom('Code', 'Zed', 'Firefox', 'iTerm2'),
    project: fc.constantFrom('daybook', 'web', 'notes'),
    language: fc.option(fc.constantFrom('Rust', 'TypeScript'), { nil: null }),
    branch: fc.option(fc.constantFrom('main', 'dev'), { nil: null }),
    entityType: fc.option(fc.constantFrom('File', 'Url'), { nil: null }),
  })
  .map((r): ActivityEvent => {
    const base = {
      startMs: WINDOW_START + r.start,
      endMs: WINDOW_START + r.start + r.length,
      durationSec: null,
      category: r.language === null ? 'Browsing' : 'Coding',
      app: r.app,
      entity: `${r.project}/file`,
      entityType: r.entityType,
      project: r.project,
      projectPath: null,
      branch: r.branch,
      language: r.language,
      source: r.source,
    }
    return { id: eventId(base), ...base }
  })

const afkArb = fc
  .record({
    start: fc.integer({ min: 0, max: WINDOW }),
    length: fc.option(fc.integer({ min: 0, max: 3 * HOUR }), { nil: null }),
  })
  .map((r): AfkPeriod => ({
    id: String(r.start),
    startMs: WINDOW_START + r.start,
    endMs: r.length === null ? null : WINDOW_START + r.start + r.length,
    durationSec: null,
  }))

const historyArb = fc.record({
  events: fc.array(eventArb, { maxLength: 40 }),
  afk: fc.array(afkArb, { maxLength: 4 }),
  zone: fc.constantFrom(...ZONES),
  unit: fc.constantFrom('hour' as const, 'day' as const, 'week' as const),
  startOfDay: fc.constantFrom('00:00', '04:00'),
})

const RANGE = { startMs: WINDOW_START, endMs: WINDOW_START + WINDOW }
const NOW = WINDOW_START + WINDOW / 2

function segmentsOf(events: ActivityEvent[], afk: AfkPeriod[], range = RANGE) {
  return activeSegments({
    events,
    afk,
    range,
    priority,
    includeAfk: false,
    filters: {},
    nowMs: NOW,
  })
}

test('the groups of a result add up to its total (events lacking the dimension left out)', () => {
  fc.assert(
    fc.property(historyArb, ({ events, afk, zone, unit, startOfDay }) => {
      const segments = segmentsOf(events, afk)
      const buckets = splitRange(RANGE, unit, makeCalendar(zone, startOfDay))
      const total = totalSeconds(segments)
      const ungrouped = bucketize(segments, buckets, undefined).reduce((s, c) => s + c.seconds, 0)
      assert.equal(ungrouped, total)
      for (const dim of DIMENSIONS) {
        const grouped = bucketize(segments, buckets, dim).reduce((s, c) => s + c.seconds, 0)
        const lacking = totalSeconds(segments.filter((s) => s.event[dim] === null))
        assert.equal(grouped + lacking, total, dim)
      }
    }),
    { numRuns: 150 },
  )
})

test('no bucket holds more time than its length', () => {
  fc.assert(
    fc.property(historyArb, ({ events, afk, zone, unit, startOfDay }) => {
      const buckets = splitRange(RANGE, unit, makeCalendar(zone, startOfDay))
      const length = new Map<string, number>()
      for (const b of buckets)
        length.set(b.label, (length.get(b.label) ?? 0) + (b.endMs - b.startMs) / 1000)
      for (const cell of bucketize(segmentsOf(events, afk), buckets, undefined)) {
        assert.ok(cell.seconds <= (length.get(cell.label) ?? 0), `${cell.label}: ${cell.seconds}`)
        assert.ok(Number.isInteger(cell.seconds))
      }
    }),
    { numRuns: 150 },
  )
})

test('the result does not depend on insertion order or on re-sent events', () => {
  fc.assert(
    fc.property(historyArb, fc.func(fc.integer()), ({ events, afk, zone, unit }, shuffleKey) => {
      const buckets: CalendarBucket[] = splitRange(RANGE, unit, makeCalendar(zone))
      const expected = bucketize(segmentsOf(events, afk), buckets, 'app')
      const shuffled = [...events, ...events.slice(0, 5)]
        .map((e, i) => ({ e, k: shuffleKey(i) }))
        .sort((a, b) => a.k - b.k)
        .map(({ e }) => e)
      assert.deepEqual(
        bucketize(segmentsOf(shuffled, [...afk].reverse()), buckets, 'app'),
        expected,
      )
    }),
    { numRuns: 150 },
  )
})

test('totals over adjacent ranges add up', () => {
  fc.assert(
    fc.property(historyArb, fc.integer({ min: 0, max: WINDOW }), ({ events, afk }, cut) => {
      const middle = WINDOW_START + cut
      const left = totalSeconds(segmentsOf(events, afk, { startMs: RANGE.startMs, endMs: middle }))
      const right = totalSeconds(segmentsOf(events, afk, { startMs: middle, endMs: RANGE.endMs }))
      assert.equal(left + right, totalSeconds(segmentsOf(events, afk)))
    }),
    { numRuns: 200 },
  )
})

test('active time never exceeds the range, and is never negative', () => {
  fc.assert(
    fc.property(historyArb, ({ events, afk }) => {
      const total = totalSeconds(segmentsOf(events, afk))
      assert.ok(total >= 0 && total <= WINDOW / 1000)
    }),
  )
})
