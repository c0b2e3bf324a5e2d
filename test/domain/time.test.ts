import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { formatDuration } from '../../src/domain/time.ts'

test('below an hour a duration shows minutes and seconds, nothing cut', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [9, '9s'],
    [59, '59s'],
    [59.4, '59s'],
    [59.6, '1m'],
    [60, '1m'],
    [105, '1m 45s'],
    [774, '12m 54s'],
    [2700, '45m'],
    [3599, '59m 59s'],
  ]
  assert.deepEqual(
    cases.map(([s]) => formatDuration(s)),
    cases.map(([, text]) => text),
  )
})

test('from an hour on it rounds to the nearest minute', () => {
  const cases: [number, string][] = [
    [3599.6, '1h'],
    [3600, '1h'],
    [3629, '1h'],
    [3630, '1h 1m'],
    [11_520, '3h 12m'],
    [16_050, '4h 28m'],
    [86_370, '24h'],
    [90_061, '25h 1m'],
  ]
  assert.deepEqual(
    cases.map(([s]) => formatDuration(s)),
    cases.map(([, text]) => text),
  )
})

test('nothing negative or not a number is shown as time', () => {
  assert.equal(formatDuration(-5), '0s')
  assert.equal(formatDuration(Number.NaN), '0s')
  assert.equal(formatDuration(Number.POSITIVE_INFINITY), '0s')
})

test('the text reads back to the seconds it was made from, within its rounding', () => {
  const parse = (text: string): number => {
    let total = 0
    for (const [, n, unit] of text.matchAll(/(\d+)([hms])/g)) {
      total += Number(n) * (unit === 'h' ? 3600 : unit === 'm' ? 60 : 1)
    }
    return total
  }
  fc.assert(
    fc.property(fc.double({ min: 0, max: 400 * 3600, noNaN: true }), (seconds) => {
      const shown = parse(formatDuration(seconds))
      // Seconds exact (to the nearest) below the hour; the nearest minute above.
      const tolerance = Math.round(seconds) < 3600 ? 0.5 : 30.5
      assert.ok(Math.abs(shown - seconds) <= tolerance, `${seconds} -> ${formatDuration(seconds)}`)
    }),
  )
})
