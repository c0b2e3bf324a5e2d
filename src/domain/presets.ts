/**
 * Named time ranges (Skopio's presets) resolved to concrete `[start, end)` ranges and a default
 * bucket, on the local calendar. Fixes over Skopio: "today" ends at the next local day start
 * (23 or 25 hours on a DST day), `lastNDays` covers exactly N days, N is validated instead of
 * silently clamped.
 */
import type { Temporal } from 'temporal-polyfill'
import {
  type BucketUnit,
  type Calendar,
  type TimeRange,
  dayStartMs,
  logicalDate,
} from './calendar.ts'
import { type PeriodUnit, addPeriods, periodFirstDate } from './periods.ts'
import { BadRequestError } from './errors.ts'
import { checkRangeOrder } from './time.ts'

export const UNIT_PRESETS = [
  'today',
  'yesterday',
  'thisWeek',
  'lastWeek',
  'thisMonth',
  'lastMonth',
] as const
export const COUNT_PRESETS = ['lastNDays', 'lastNWeeks', 'lastNMonths', 'lastNYears'] as const

export type UnitPresetName = (typeof UNIT_PRESETS)[number]
export type CountPresetName = (typeof COUNT_PRESETS)[number]

/** A preset after parsing, before it meets a clock and a calendar. */
export type Preset =
  | { type: UnitPresetName }
  | { type: 'lastNMinutes'; n: number }
  | { type: CountPresetName; n: number; includeCurrent: boolean }
  | { type: 'custom'; startMs: number; endMs: number; bucket: BucketUnit }

/** A preset resolved against a clock and calendar. */
export interface ResolvedPreset extends TimeRange {
  bucket: BucketUnit
}

/** Upper bounds for N: generous, but a typo like `lastNDays=70000` is an error, not a scan. */
const PRESET_LIMITS = {
  lastNMinutes: 527_040, // one leap year of minutes
  lastNDays: 3_660,
  lastNWeeks: 520,
  lastNMonths: 240,
  lastNYears: 100,
} as const

const COUNT_UNIT = {
  lastNDays: 'day',
  lastNWeeks: 'week',
  lastNMonths: 'month',
  lastNYears: 'year',
} as const satisfies Record<CountPresetName, PeriodUnit>

/** Checks N against its preset's bounds. */
function checkPresetCount(type: keyof typeof PRESET_LIMITS, n: number): number {
  const max = PRESET_LIMITS[type]
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new BadRequestError(
      'invalid_preset',
      `preset ${type} needs a whole number from 1 to ${max}, got ${n}`,
      `preset[${type}]`,
    )
  }
  return n
}

/** Resolves a preset to `[start, end)` and its default bucket. */
export function resolvePreset(preset: Preset, nowMs: number, cal: Calendar): ResolvedPreset {
  const today = logicalDate(nowMs, cal)
  const day = (d: Temporal.PlainDate) => dayStartMs(d, cal)
  /** The whole period of `unit` that lies `offset` periods from the current one. */
  const period = (unit: PeriodUnit, offset: number, bucket: BucketUnit): ResolvedPreset => {
    const first = addPeriods(periodFirstDate(today, unit), unit, offset)
    return { startMs: day(first), endMs: day(addPeriods(first, unit, 1)), bucket }
  }
  switch (preset.type) {
    case 'today':
      return period('day', 0, 'hour')
    case 'yesterday':
      return period('day', -1, 'hour')
    case 'thisWeek':
      return period('week', 0, 'day')
    case 'lastWeek':
      return period('week', -1, 'day')
    case 'thisMonth':
      return period('month', 0, 'day')
    case 'lastMonth':
      return period('month', -1, 'day')
    case 'lastNMinutes': {
      const n = checkPresetCount('lastNMinutes', preset.n)
      return { startMs: nowMs - n * 60_000, endMs: nowMs, bucket: n <= 24 * 60 ? 'hour' : 'day' }
    }
    case 'lastNDays':
    case 'lastNWeeks':
    case 'lastNMonths':
    case 'lastNYears': {
      const n = checkPresetCount(preset.type, preset.n)
      const unit = COUNT_UNIT[preset.type]
      // N whole periods: ending with the current one when it is included, else just before it.
      const current = periodFirstDate(today, unit)
      const end = preset.includeCurrent ? addPeriods(current, unit, 1) : current
      return { startMs: day(addPeriods(end, unit, -n)), endMs: day(end), bucket: unit }
    }
    case 'custom':
      checkRangeOrder(preset.startMs, preset.endMs, {
        start: 'preset[custom][start]',
        end: 'preset[custom][end]',
      })
      return { startMs: preset.startMs, endMs: preset.endMs, bucket: preset.bucket }
  }
}
