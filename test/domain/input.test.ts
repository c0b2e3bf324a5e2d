import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  BUCKET_MS,
  MAX_COUNT,
  TRUSTED_PAST_MS,
  bucketFor,
  bucketStart,
  emptyCounts,
  inputMetrics,
  lenientCount,
  lenientInt,
} from '../../src/domain/input.ts'

test("lenientInt reads integers like the frames server's safe_int (Python int())", () => {
  const cases: [unknown, number | undefined][] = [
    [7, 7],
    ['7', 7],
    [' 42 ', 42],
    ['-3', -3],
    ['+5', 5],
    ['1_000', 1000],
    [3.7, 3],
    [-3.7, -3],
    [true, 1],
    [false, 0],
    [null, undefined],
    [undefined, undefined],
    ['', undefined],
    ['x', undefined],
    ['7.5', undefined],
    ['1e3', undefined],
    ['0x10', undefined],
    ['1__0', undefined],
    [[], undefined],
    [{}, undefined],
    [Number.NaN, undefined],
    [Number.POSITIVE_INFINITY, undefined],
  ]
  for (const [input, expected] of cases) {
    assert.equal(lenientInt(input), expected, `lenientInt(${JSON.stringify(input)})`)
  }
})

test('lenientCount: negative and non-finite are 0; huge values are capped', () => {
  assert.equal(lenientCount(-5), 0)
  assert.equal(lenientCount('-5'), 0)
  assert.equal(lenientCount(Number.NaN), 0)
  assert.equal(lenientCount(Number.POSITIVE_INFINITY), 0)
  assert.equal(lenientCount(Number.NEGATIVE_INFINITY), 0)
  assert.equal(lenientCount(1e300), MAX_COUNT)
  assert.equal(lenientCount('9'.repeat(400)), MAX_COUNT)
  assert.equal(lenientCount(`-${'9'.repeat(400)}`), 0)
  assert.equal(lenientCount('12'), 12)
  assert.equal(lenientCount(2.9), 2)
})

test('bucketFor: the frame time within the last 30 days, else the receive time; floored to 5 min', () => {
  const now = Date.UTC(2026, 0, 31, 12, 7, 30)
  const nowBucket = Date.UTC(2026, 0, 31, 12, 5)
  assert.equal(bucketStart(now), nowBucket)
  assert.equal(bucketFor(undefined, now), nowBucket)
  assert.equal(bucketFor(now - 3_600_000, now), nowBucket - 3_600_000)
  assert.equal(bucketFor(now - TRUSTED_PAST_MS, now), bucketStart(now - TRUSTED_PAST_MS))
  assert.equal(bucketFor(now - TRUSTED_PAST_MS - 1, now), nowBucket, 'too old: receive time')
  assert.equal(bucketFor(now + 1, now), nowBucket, 'future: receive time')
  assert.equal(bucketFor(now + 86_400_000, now), nowBucket)
  assert.equal(bucketFor(0, now), nowBucket)
  assert.equal(bucketFor(-1, now), nowBucket)
  assert.equal(nowBucket % BUCKET_MS, 0)
})

test('inputMetrics: totals, rates per minute of the range and per active minute, active minutes', () => {
  const start = Date.UTC(2026, 0, 1)
  const end = start + 3_600_000 // one hour
  const row = (minute: number, counts: Partial<ReturnType<typeof emptyCounts>>) => ({
    ...emptyCounts(),
    ...counts,
    bucketMs: start + minute * 60_000,
  })
  const m = inputMetrics(
    [row(0, { kp: 60, mm: 300 }), row(10, { lc: 6 }), row(55, { kp: 30, scroll: 3 })],
    start,
    end,
  )
  assert.equal(m.n_epochs, 3)
  assert.equal(m.epoch_sec, 300)
  assert.deepEqual(m.totals, { lc: 6, rc: 0, mc: 0, kp: 90, mm: 300, scroll: 3 })
  assert.equal(m.active_minutes, 15)
  assert.deepEqual(m.per_minute, { lc: 0.1, rc: 0, mc: 0, kp: 1.5, mm: 5, scroll: 0.05 })
  assert.deepEqual(m.per_active_minute, { lc: 0.4, rc: 0, mc: 0, kp: 6, mm: 20, scroll: 0.2 })

  // A bucket that starts 2 minutes before the end covers only 2 minutes of the range.
  assert.equal(inputMetrics([row(58, { kp: 1 })], start, end).active_minutes, 2)
})

test('inputMetrics of nothing, or of an empty range, is all zeros', () => {
  const empty = inputMetrics([], 1000, 1000)
  assert.equal(empty.n_epochs, 0)
  assert.equal(empty.active_minutes, 0)
  assert.deepEqual(empty.totals, emptyCounts())
  assert.deepEqual(empty.per_minute, emptyCounts())
  assert.deepEqual(empty.per_active_minute, emptyCounts())
})
