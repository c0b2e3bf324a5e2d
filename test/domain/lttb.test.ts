import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { lttbIndices } from '../../src/domain/lttb.ts'

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

test('lttb keeps everything when the threshold is not below the length', () => {
  assert.deepEqual(lttbIndices([], [], 10), [])
  assert.deepEqual(lttbIndices([1, 2, 3], [5, 6, 7], 3), [0, 1, 2])
  assert.deepEqual(lttbIndices([1, 2, 3], [5, 6, 7], 800), [0, 1, 2])
})

test('lttb: small thresholds keep the first (and last) point', () => {
  assert.deepEqual(lttbIndices(range(10), range(10), 1), [0])
  assert.deepEqual(lttbIndices(range(10), range(10), 2), [0, 9])
  assert.deepEqual(lttbIndices(range(10), range(10), 0), [0])
})

test('lttb keeps a lone spike that averaging would flatten', () => {
  const n = 10_000
  const ys = range(n).map((i) => (i === 4321 ? 1000 : i % 2))
  const kept = lttbIndices(range(n), ys, 100)
  assert.equal(kept.length, 100)
  assert.ok(kept.includes(4321))
})

test('lttb returns exactly threshold ascending indices, first and last included', () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { minLength: 4, maxLength: 400 }),
      fc.integer({ min: 3, max: 500 }),
      (ys, threshold) => {
        const kept = lttbIndices(range(ys.length), ys, threshold)
        assert.equal(kept.length, Math.min(threshold, ys.length))
        assert.equal(kept[0], 0)
        assert.equal(kept.at(-1), ys.length - 1)
        for (let i = 1; i < kept.length; i++) assert.ok((kept[i] ?? 0) > (kept[i - 1] ?? 0))
      },
    ),
  )
})

test('lttb refuses series of different lengths', () => {
  assert.throws(() => lttbIndices([1, 2], [1], 1), RangeError)
})
