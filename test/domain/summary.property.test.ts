/**
 * Properties of active time over random histories: what must hold for any events at all.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { type CalendarBucket, makeCalendar, splitRange } from '../../src/domain/calendar.ts'
import { SLOT_MS } from '../../src/domain/cells.ts'
import {
  type ActivityEvent,
  type AfkPeriod,
  DIMENSIONS,
  type Dimension,
  afkEffectiveEnd,
  eventId,
} from '../../src/domain/events.ts'
import { DEFAULT_SOURCE_PRIORITY } from '../../src/domain/settings.ts'
import { type BucketCell, UNGROUPED, bucketize } from '../../src/domain/summary.ts'
import {
  type Segment,
  activeTimeline,
  sourcePriorityOf,
  totalSeconds,
} from '../../src/domain/timeline.ts'

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
    device: fc.constantFrom('laptop', 'desk'),
  })
  .map((r): ActivityEvent => {
    const base = {
      device: r.device,
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
    return { id: eventId(r.device, base), ...base }
  })

const afkArb = fc
  .record({
    start: fc.integer({ min: 0, max: WINDOW }),
    length: fc.option(fc.integer({ min: 0, max: 3 * HOUR }), { nil: null }),
    device: fc.constantFrom('laptop', 'desk'),
  })
  .map((r): AfkPeriod => ({
    id: String(r.start),
    device: r.device,
    startMs: WINDOW_START + r.start,
    endMs: r.length === null ? null : WINDOW_START + r.start + r.length,
    inferredEndMs: null,
    durationSec: null,
    source: 'daybook-afk',
  }))

const historyArb = fc.record({
  events: fc.array(eventArb, { maxLength: 40 }),
  afk: fc.array(afkArb, { maxLength: 4 }),
  zone: fc.constantFrom(...ZONES),
  unit: fc.constantFrom('hour' as const, 'day' as const, 'week' as const),
  startOfDay: fc.constantFrom('00:00', '04:00'),
})

const RANGE = { startMs: WINDOW_START, endMs: WINDOW_START + WINDOW }

function segmentsOf(events: ActivityEvent[], afk: AfkPeriod[], range = RANGE) {
  return activeTimeline(
    events,
    afk.map((p) => ({ device: p.device, startMs: p.startMs, endMs: afkEffectiveEnd(p) })),
    range,
    (e) => priority(e.source),
  )
}

const by = (dim: Dimension) => ({ group: (e: ActivityEvent) => e[dim] })
const cellsOf = (
  segments: Segment<ActivityEvent>[],
  buckets: CalendarBucket[],
  dim?: Dimension,
): BucketCell[] => bucketize(segments, buckets, dim ? by(dim) : UNGROUPED).toCells()
const sum = (cells: BucketCell[]) => cells.reduce((s, c) => s + c.seconds, 0)

test('the groups of a result add up to its total (events lacking the dimension left out)', () => {
  fc.assert(
    fc.property(historyArb, ({ events, afk, zone, unit, startOfDay }) => {
      const segments = segmentsOf(events, afk)
      const buckets = splitRange(RANGE, unit, makeCalendar(zone, startOfDay))
      const total = totalSeconds(segments)
      assert.equal(sum(cellsOf(segments, buckets)), total)
      for (const dim of DIMENSIONS) {
        const grouped = sum(cellsOf(segments, buckets, dim))
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
      for (const cell of cellsOf(segmentsOf(events, afk), buckets)) {
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
      const expected = cellsOf(segmentsOf(events, afk), buckets, 'app')
      const shuffled = [...events, ...events.slice(0, 5)]
        .map((e, i) => ({ e, k: shuffleKey(i) }))
        .sort((a, b) => a.k - b.k)
        .map(({ e }) => e)
      assert.deepEqual(cellsOf(segmentsOf(shuffled, [...afk].reverse()), buckets, 'app'), expected)
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

test('locality: resolving 15-minute slots one by one gives the same cells as the whole range', () => {
  fc.assert(
    fc.property(historyArb, ({ events, afk, zone, unit, startOfDay }) => {
      const buckets = splitRange(RANGE, unit, makeCalendar(zone, startOfDay))
      const whole = cellsOf(segmentsOf(events, afk), buckets, 'project')
      const pieces: Segment<ActivityEvent>[] = []
      for (let s = RANGE.startMs; s < RANGE.endMs; s += SLOT_MS) {
        pieces.push(...segmentsOf(events, afk, { startMs: s, endMs: s + SLOT_MS }))
      }
      assert.deepEqual(cellsOf(pieces, buckets, 'project'), whole)
    }),
    { numRuns: 40 },
  )
})

test("a device's AFK takes time only from that device's events", () => {
  fc.assert(
    fc.property(historyArb, ({ events, afk }) => {
      const laptopAway = afk.filter((p) => p.device === 'laptop')
      const deskOnly = events.filter((e) => e.device === 'desk')
      // The desk's own active time is the same whatever the laptop's AFK periods are.
      const withLaptopAfk = totalSeconds(segmentsOf(deskOnly, laptopAway))
      assert.equal(withLaptopAfk, totalSeconds(segmentsOf(deskOnly, [])))
      // And time the laptop's AFK removes from the laptop can be owned by the desk instead.
      const both = totalSeconds(segmentsOf(events, laptopAway))
      assert.ok(both >= totalSeconds(segmentsOf(deskOnly, [])))
    }),
    { numRuns: 100 },
  )
})
