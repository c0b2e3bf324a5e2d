import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { SLOT_MS, SLOTS_PER_HOUR, planBuckets, planDays } from '../../src/domain/cells.ts'
import { HOUR_MS } from '../../src/domain/time.ts'

const BASE = Date.parse('2025-01-01T00:00:00Z')

/** Buckets: sorted, non-overlapping, whole seconds, some not on slot boundaries. */
const bucketsArb = fc
  .array(fc.integer({ min: 1, max: 3 * 86_400 }), { minLength: 1, maxLength: 12 })
  .chain((lengths) =>
    fc.tuple(
      fc.constant(lengths),
      fc.array(fc.integer({ min: 0, max: 7200 }), {
        minLength: lengths.length,
        maxLength: lengths.length,
      }),
    ),
  )
  .map(([lengths, gaps]) => {
    let t = BASE + 1234 * 1000
    return lengths.map((len, i) => {
      t += (gaps[i] as number) * 1000
      const b = { startMs: t, endMs: t + len * 1000 }
      t = b.endMs
      return b
    })
  })

test('a plan covers every instant of every bucket exactly once, and reads no dirty slot from cells', () => {
  fc.assert(
    fc.property(
      bucketsArb,
      fc.array(fc.integer({ min: 0, max: 30 * 96 }), { maxLength: 40 }),
      (buckets, dirtyOffsets) => {
        const firstSlot = Math.floor(BASE / SLOT_MS)
        const dirty = [...new Set(dirtyOffsets.map((d) => firstSlot + d))].sort((a, b) => a - b)
        const plan = planBuckets(buckets, dirty)
        // Every piece as [bucket, startMs, endMs).
        const pieces: [number, number, number][] = [
          ...plan.hours.map(([b, h0, h1]): [number, number, number] => [
            b,
            h0 * HOUR_MS,
            h1 * HOUR_MS,
          ]),
          ...plan.slots.map(([b, s0, s1]): [number, number, number] => [
            b,
            s0 * SLOT_MS,
            s1 * SLOT_MS,
          ]),
          ...plan.events,
        ]
        buckets.forEach((bucket, b) => {
          const mine = pieces.filter((p) => p[0] === b).sort((x, y) => x[1] - y[1])
          let cursor = bucket.startMs
          for (const [, from, to] of mine) {
            assert.equal(from, cursor, `bucket ${b}: gap or overlap at ${from}`)
            assert.ok(to > from)
            cursor = to
          }
          assert.equal(cursor, bucket.endMs, `bucket ${b} not covered to its end`)
        })
        const dirtySet = new Set(dirty)
        for (const [, s0, s1] of plan.slots) {
          for (let s = s0; s < s1; s++)
            assert.ok(!dirtySet.has(s), `dirty slot ${s} read from cells`)
        }
        for (const [, h0, h1] of plan.hours) {
          for (let s = h0 * SLOTS_PER_HOUR; s < h1 * SLOTS_PER_HOUR; s++) {
            assert.ok(!dirtySet.has(s), `dirty slot ${s} read through an hour cell`)
          }
        }
      },
    ),
    { numRuns: 300 },
  )
})

test('a clean day is two partial slots from events, whole slots, then whole hours', () => {
  const start = BASE + 10 * 60_000 + 5_000 // 00:10:05
  const end = BASE + 86_400_000 - 7 * 60_000 // 23:53:00
  const plan = planBuckets([{ startMs: start, endMs: end }], [])
  const s0 = BASE / SLOT_MS
  assert.deepEqual(plan.events, [
    [0, start, BASE + SLOT_MS],
    [0, BASE + 95 * SLOT_MS, end],
  ])
  assert.deepEqual(plan.slots, [
    [0, s0 + 1, s0 + 4],
    [0, s0 + 92, s0 + 95],
  ])
  assert.deepEqual(plan.hours, [[0, BASE / HOUR_MS + 1, BASE / HOUR_MS + 23]])
})

/** Hours each bucket counts under a day plan: +1 per time an hour is added, -1 per time taken. */
function countedHours(plan: ReturnType<typeof planDays>): Map<string, number> {
  const n = new Map<string, number>()
  const add = (b: number, h: number, by: number) => {
    const k = `${b}:${h}`
    const v = (n.get(k) ?? 0) + by
    if (v === 0) n.delete(k)
    else n.set(k, v)
  }
  for (const [b, d0, d1] of plan.days) for (let h = d0 * 24; h < d1 * 24; h++) add(b, h, 1)
  for (const [b, h0, h1] of plan.plus) for (let h = h0; h < h1; h++) add(b, h, 1)
  for (const [b, h0, h1] of plan.minus) for (let h = h0; h < h1; h++) add(b, h, -1)
  return n
}

test('a day plan counts every planned hour exactly once, and reads fewer rows than the hours', () => {
  fc.assert(
    fc.property(
      bucketsArb,
      fc.array(fc.integer({ min: 0, max: 30 * 96 }), { maxLength: 40 }),
      (buckets, dirtyOffsets) => {
        const firstSlot = Math.floor(BASE / SLOT_MS)
        const dirty = [...new Set(dirtyOffsets.map((d) => firstSlot + d))].sort((a, b) => a - b)
        const { hours } = planBuckets(buckets, dirty)
        const plan = planDays(hours)
        const expected = new Map<string, number>()
        for (const [b, h0, h1] of hours) for (let h = h0; h < h1; h++) expected.set(`${b}:${h}`, 1)
        assert.deepEqual(countedHours(plan), expected)
        const rows = (list: [number, number, number][]) =>
          list.reduce((n, [, from, to]) => n + to - from, 0)
        const hourRows = rows(hours)
        assert.ok(rows(plan.days) + rows(plan.plus) + rows(plan.minus) <= hourRows)
      },
    ),
    { numRuns: 300 },
  )
})

test('a Berlin day is its UTC day, less its last hour, plus the last hour of the day before', () => {
  const h = BASE / HOUR_MS // 2025-01-01T00:00Z; Berlin is UTC+1 in winter
  const d = h / 24
  const plan = planDays([
    [0, h - 1, h + 23],
    [1, h + 23, h + 47],
  ])
  assert.deepEqual(plan.days, [
    [0, d, d + 1],
    [1, d + 1, d + 2],
  ])
  assert.deepEqual(plan.plus, [
    [0, h - 1, h],
    [1, h + 23, h + 24],
  ])
  assert.deepEqual(plan.minus, [
    [0, h + 23, h + 24],
    [1, h + 47, h + 48],
  ])
  // An hour bucket stays an hour.
  assert.deepEqual(planDays([[0, h + 5, h + 6]]), {
    days: [],
    plus: [[0, h + 5, h + 6]],
    minus: [],
  })
})
