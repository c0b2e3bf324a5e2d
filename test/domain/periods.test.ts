import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { Temporal } from 'temporal-polyfill'
import {
  type PeriodUnit,
  formatPeriod,
  parseLocalDate,
  parsePeriod,
  periodFirstDate,
} from '../../src/domain/periods.ts'

const UNITS: PeriodUnit[] = ['day', 'week', 'month', 'year']

describe('periods by name', () => {
  test('each form names its period', () => {
    const cases: [string, PeriodUnit, string][] = [
      ['2025-03-03', 'day', '2025-03-03'],
      ['2025-W09', 'week', '2025-02-24'],
      // ISO week 1 of 2026 holds 4 January, so it starts in 2025.
      ['2026-W01', 'week', '2025-12-29'],
      ['2020-W53', 'week', '2020-12-28'],
      ['2025-03', 'month', '2025-03-01'],
      ['2025', 'year', '2025-01-01'],
    ]
    for (const [name, unit, first] of cases) {
      const p = parsePeriod(name)
      assert.equal(p?.unit, unit, name)
      assert.equal(p?.first.toString(), first, name)
    }
  })

  test('names that are no period are refused', () => {
    for (const bad of ['2025-02-30', '2025-13', '2025-00', '2025-W00', '2025-W53', '25', 'x', '']) {
      assert.equal(parsePeriod(bad), undefined, bad)
    }
    assert.equal(parseLocalDate('2025-04-31'), undefined)
    assert.equal(parseLocalDate('2025-4-30'), undefined)
  })

  test('the name of any date’s period reads back as that period', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 365 * 200 }),
        fc.constantFrom(...UNITS),
        (offset, unit) => {
          const date = Temporal.PlainDate.from('1950-01-01').add({ days: offset })
          const p = parsePeriod(formatPeriod(date, unit))
          assert.equal(p?.unit, unit)
          assert.equal(p?.first.toString(), periodFirstDate(date, unit).toString())
        },
      ),
    )
  })
})
