/**
 * Local-calendar arithmetic: which day, week, month or year an instant belongs to in an IANA zone,
 * where those periods begin and end, and how they are labelled. Pure; all zone rules come from
 * Temporal, so a DST day is 23 or 25 hours long and a month runs from the 1st to the 1st.
 *
 * A calendar may shift its day boundary (`startOfDay` 04:00 for night owls): the day, week, month
 * and year all begin at that local time, and keep the label of the calendar date they begin on.
 */
import { Temporal } from 'temporal-polyfill'
import { BadRequestError, UnprocessableError } from './errors.ts'
import { addPeriods, periodFirstDate } from './periods.ts'
import { DAY_MS, HOUR_MS } from './time.ts'

export const BUCKET_UNITS = ['hour', 'day', 'week', 'month', 'year'] as const
export type BucketUnit = (typeof BUCKET_UNITS)[number]

/** A half-open interval of epoch milliseconds, `[startMs, endMs)`. */
export interface TimeRange {
  startMs: number
  endMs: number
}

/** The zone and day boundary every local-time computation uses. */
export interface Calendar {
  readonly timeZone: string
  /** Minutes after local midnight at which a day begins (0 = midnight). */
  readonly startOfDayMinutes: number
}

/** One bucket of a split range: its label, its true boundaries, clipped to the range. */
export interface CalendarBucket {
  label: string
  startMs: number
  endMs: number
}

/** The zone database's spelling of `timeZone`, or undefined when this runtime does not know it. */
export function canonicalTimeZone(timeZone: string): string | undefined {
  try {
    return Temporal.Now.zonedDateTimeISO(timeZone).timeZoneId
  } catch {
    return undefined
  }
}

let processZone: { tz: string | undefined; id: string } | undefined

/** The zone this process runs in, as an IANA name. */
export function processTimeZone(): string {
  // Asking costs about half a millisecond (a new Intl formatter), and every answer without a
  // zone setting asks. Node itself re-reads the zone only when TZ changes: so is it kept here.
  const tz = process.env.TZ
  if (processZone === undefined || processZone.tz !== tz) {
    processZone = { tz, id: Temporal.Now.timeZoneId() }
  }
  return processZone.id
}

const START_OF_DAY_RE = /^([01]\d|2[0-3]):([0-5]\d)$/

/** Parses `HH:MM` (00:00–23:59) into minutes after midnight; throws on anything else. */
export function parseStartOfDay(value: string, field = 'startOfDay'): number {
  const m = START_OF_DAY_RE.exec(value)
  if (!m) {
    throw new UnprocessableError(
      'invalid_start_of_day',
      `${field} must be a local time HH:MM between 00:00 and 23:59, got ${JSON.stringify(value)}`,
      field,
    )
  }
  return Number(m[1]) * 60 + Number(m[2])
}

/** Formats minutes after midnight as `HH:MM`. */
export function formatStartOfDay(minutes: number): string {
  return `${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}`
}

/**
 * Builds a calendar, validating the zone. A zone name this runtime does not know is an error,
 * never a silent fall-back to UTC.
 */
export function makeCalendar(timeZone: string, startOfDay: string | number = 0): Calendar {
  const canonical = canonicalTimeZone(timeZone)
  if (canonical === undefined) throw unknownZone(timeZone, 'tz')
  const startOfDayMinutes =
    typeof startOfDay === 'number' ? startOfDay : parseStartOfDay(startOfDay)
  return { timeZone: canonical, startOfDayMinutes }
}

/** The error for a zone name this runtime does not know. */
export function unknownZone(timeZone: string, field: string): UnprocessableError {
  return new UnprocessableError(
    'invalid_timezone',
    `unknown time zone ${JSON.stringify(timeZone)}; use an IANA name such as Europe/Berlin`,
    field,
  )
}

function zoned(ms: number, cal: Calendar): Temporal.ZonedDateTime {
  return Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(cal.timeZone)
}

function startOfDayTime(cal: Calendar): Temporal.PlainTime {
  return new Temporal.PlainTime(Math.floor(cal.startOfDayMinutes / 60), cal.startOfDayMinutes % 60)
}

/** The epoch ms at which the logical day `date` begins (its start-of-day local time). */
export function dayStartMs(date: Temporal.PlainDate, cal: Calendar): number {
  // 'compatible' disambiguation: a start-of-day inside a DST gap moves forward, inside an
  // overlap takes the earlier instant, so every day has exactly one start.
  return date.toZonedDateTime({ timeZone: cal.timeZone, plainTime: startOfDayTime(cal) })
    .epochMilliseconds
}

/** The logical date an instant belongs to: with start of day 04:00, 02:00 on the 5th is the 4th. */
export function logicalDate(ms: number, cal: Calendar): Temporal.PlainDate {
  const date = zoned(ms, cal).toPlainDate()
  return ms < dayStartMs(date, cal) ? date.subtract({ days: 1 }) : date
}

/** Start (epoch ms) of the bucket of `unit` that contains `ms`. */
export function bucketFloor(ms: number, unit: BucketUnit, cal: Calendar): number {
  if (unit === 'hour') return hourFloor(ms, cal)
  return dayStartMs(periodFirstDate(logicalDate(ms, cal), unit), cal)
}

/** Start (epoch ms) of the bucket that follows the one containing `ms`. */
export function bucketNext(ms: number, unit: BucketUnit, cal: Calendar): number {
  if (unit === 'hour') return hourNext(ms, cal)
  const first = periodFirstDate(logicalDate(ms, cal), unit)
  return dayStartMs(addPeriods(first, unit, 1), cal)
}

/*
 * Clock-hour buckets. A new hour bucket begins where the wall clock shows HH:00, and at an offset
 * transition where the wall clock's hour changes: at a one-hour fall-back the repeated hour is its
 * own bucket; where clocks skip an hour that hour has no bucket; at Lord Howe's half-hour changes
 * one hour lasts 90 minutes in autumn and another 30 minutes in spring. Offsets and transitions
 * come from the zone database through Temporal.
 */

function offsetAt(ms: number, cal: Calendar): number {
  return zoned(ms, cal).offsetNanoseconds / 1_000_000
}

/** True when an hour bucket begins exactly at the transition instant `t`. */
function hourStartsAtTransition(t: number, cal: Calendar): boolean {
  const wallAt = t + offsetAt(t, cal)
  const wallBefore = t - 1 + offsetAt(t - 1, cal)
  return (
    mod(wallAt, HOUR_MS) === 0 || Math.floor(wallAt / HOUR_MS) !== Math.floor(wallBefore / HOUR_MS)
  )
}

function hourNext(ms: number, cal: Calendar): number {
  let t = ms
  for (;;) {
    const z = zoned(t, cal)
    const offset = z.offsetNanoseconds / 1_000_000
    const transition =
      z.getTimeZoneTransition('next')?.epochMilliseconds ?? Number.POSITIVE_INFINITY
    const onTheHour = t - mod(t + offset, HOUR_MS) + HOUR_MS
    if (onTheHour < transition) return onTheHour
    if (hourStartsAtTransition(transition, cal)) return transition
    t = transition
  }
}

function hourFloor(ms: number, cal: Calendar): number {
  let t = ms
  for (;;) {
    const z = zoned(t, cal)
    const offset = z.offsetNanoseconds / 1_000_000
    // Where the stretch of constant offset containing `t` began.
    const since =
      offsetAt(t - 1, cal) !== offset
        ? t
        : (z.getTimeZoneTransition('previous')?.epochMilliseconds ?? Number.NEGATIVE_INFINITY)
    const onTheHour = t - mod(t + offset, HOUR_MS)
    if (onTheHour > since) return onTheHour
    if (hourStartsAtTransition(since, cal)) return since
    t = since - 1
  }
}

/**
 * The label of the bucket that contains `ms`, in Skopio's formats: `2025-03-03 09:00:00`,
 * `2025-03-03`, `2025-W09` (ISO week-year and week), `2025-03`, `2025`.
 */
export function bucketLabel(ms: number, unit: BucketUnit, cal: Calendar): string {
  if (unit === 'hour') {
    const z = zoned(bucketFloor(ms, 'hour', cal), cal)
    return `${z.toPlainDate().toString()} ${pad2(z.hour)}:00:00`
  }
  const first = periodFirstDate(logicalDate(ms, cal), unit)
  switch (unit) {
    case 'day':
      return first.toString()
    case 'week':
      return `${first.yearOfWeek ?? first.year}-W${pad2(first.weekOfYear ?? 1)}`
    case 'month':
      return `${first.year}-${pad2(first.month)}`
    case 'year':
      return String(first.year)
  }
}

/**
 * Splits `range` into the buckets of `unit` it touches, each clipped to the range, in order.
 *
 * Hours and days are the many buckets (a year holds 8,760 hours), and stepping through each with
 * Temporal costs a quarter of a second a year. Between two offset transitions of the zone, a local
 * hour or day is a fixed number of milliseconds, so within such a stretch the next boundary is the
 * previous one plus that length, and its label is read off the local wall time (the instant plus
 * the offset Temporal reported for the stretch). Wherever a step would cross a transition, the
 * boundary comes from Temporal itself, so DST days still have 23 or 25 hours.
 */
export function splitRange(range: TimeRange, unit: BucketUnit, cal: Calendar): CalendarBucket[] {
  const out: CalendarBucket[] = []
  if (!(range.startMs < range.endMs)) return out
  const step = unit === 'hour' ? HOUR_MS : unit === 'day' ? DAY_MS : undefined
  let start = range.startMs
  // The first bucket may begin before the range: its boundaries come from Temporal.
  let next = bucketNext(start, unit, cal)
  out.push({
    label: bucketLabel(start, unit, cal),
    startMs: start,
    endMs: Math.min(next, range.endMs),
  })
  start = next
  let stretch = step === undefined ? undefined : offsetStretch(start, cal)
  while (start < range.endMs) {
    if (step !== undefined && stretch !== undefined) {
      if (start >= stretch.untilMs) stretch = offsetStretch(start, cal)
      const wallMs = start + stretch.offsetMs
      // Step only from a boundary at its usual wall time (a day start moved by a DST gap is not).
      const onBoundary =
        unit === 'hour'
          ? mod(wallMs, HOUR_MS) === 0
          : mod(wallMs, DAY_MS) === cal.startOfDayMinutes * 60_000
      next =
        onBoundary && start + step < stretch.untilMs ? start + step : bucketNext(start, unit, cal)
      const label = onBoundary ? wallLabel(wallMs, unit) : bucketLabel(start, unit, cal)
      out.push({ label, startMs: start, endMs: Math.min(next, range.endMs) })
    } else {
      next = bucketNext(start, unit, cal)
      out.push({
        label: bucketLabel(start, unit, cal),
        startMs: start,
        endMs: Math.min(next, range.endMs),
      })
    }
    start = next
  }
  return out
}

/**
 * The buckets of `unit` that overlap any of `active` (sorted, non-overlapping), clipped to `range`:
 * what `splitRange` returns, minus the buckets no active stretch touches. Costs follow the active
 * stretches, not the span of the range.
 */
export function splitActive(
  range: TimeRange,
  unit: BucketUnit,
  cal: Calendar,
  active: readonly TimeRange[],
): CalendarBucket[] {
  const out: CalendarBucket[] = []
  let covered = range.startMs
  for (const a of active) {
    const from = Math.max(a.startMs, range.startMs)
    const to = Math.min(a.endMs, range.endMs)
    if (!(from < to)) continue
    const startMs = Math.max(covered, Math.max(bucketFloor(from, unit, cal), range.startMs))
    if (to <= startMs) continue
    const endMs = Math.min(range.endMs, bucketNext(to - 1, unit, cal))
    for (const b of splitRange({ startMs, endMs }, unit, cal)) out.push(b)
    covered = endMs
  }
  return out
}

/** A stretch of time in which the zone keeps one UTC offset. */
interface OffsetStretch {
  offsetMs: number
  /** The next transition (exclusive end of the stretch); Infinity when there is none. */
  untilMs: number
}

function offsetStretch(ms: number, cal: Calendar): OffsetStretch {
  const z = zoned(ms, cal)
  const transition = z.getTimeZoneTransition('next')
  return {
    offsetMs: z.offsetNanoseconds / 1_000_000,
    untilMs: transition ? transition.epochMilliseconds : Number.POSITIVE_INFINITY,
  }
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n
}

/** The label of an hour or day bucket from its wall-clock start, as epoch ms of local time. */
function wallLabel(wallMs: number, unit: BucketUnit): string {
  const iso = new Date(wallMs).toISOString()
  return unit === 'hour' ? `${iso.slice(0, 10)} ${iso.slice(11, 13)}:00:00` : iso.slice(0, 10)
}

/** The logical date `YYYY-MM-DD` an instant belongs to. */
export function dateLabel(ms: number, cal: Calendar): string {
  return logicalDate(ms, cal).toString()
}

/**
 * The common RFC 3339 form (`2025-09-11T12:34:56.123Z`, `…+02:00`) read character by character
 * with plain arithmetic: the zone offset is in the string, so no zone rules are involved.
 * Undefined for anything else (or out of range), which then goes through Temporal. Ingest reads
 * two of these per event, so this is written for speed (a regex and its captures cost several
 * times more).
 */
export function fastTimestamp(v: string): number | undefined {
  const n = v.length
  if (n < 20 || n > 35) return undefined
  if (
    v.charCodeAt(4) !== 45 || // -
    v.charCodeAt(7) !== 45 ||
    (v.charCodeAt(10) | 0x20) !== 116 || // T or t
    v.charCodeAt(13) !== 58 || // :
    v.charCodeAt(16) !== 58
  ) {
    return undefined
  }
  const y = digits(v, 0, 4)
  const mo = digits(v, 5, 2)
  const d = digits(v, 8, 2)
  const h = digits(v, 11, 2)
  const mi = digits(v, 14, 2)
  const s = digits(v, 17, 2)
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59) {
    return undefined
  }
  if (s < 0 || s > 59 || d > daysInMonth(y, mo)) return undefined
  let i = 19
  let ms = 0
  if (v.charCodeAt(i) === 46) {
    // A fraction of 1 to 9 digits; milliseconds are its first three (the rest truncated).
    let count = 0
    for (i++; i < n; i++, count++) {
      const c = v.charCodeAt(i) - 48
      if (c < 0 || c > 9) break
      if (count < 3) ms = ms * 10 + c
    }
    if (count === 0 || count > 9) return undefined
    if (count === 1) ms *= 100
    else if (count === 2) ms *= 10
  }
  const local = Date.UTC(y, mo - 1, d, h, mi, s, ms)
  const zone = v.charCodeAt(i)
  if ((zone | 0x20) === 122) return i + 1 === n ? local : undefined // Z or z
  if ((zone !== 43 && zone !== 45) || i + 6 !== n || v.charCodeAt(i + 3) !== 58) return undefined
  const offsetHours = digits(v, i + 1, 2)
  const offsetMinutes = digits(v, i + 4, 2)
  if (offsetHours < 0 || offsetHours > 23 || offsetMinutes < 0 || offsetMinutes > 59) {
    return undefined
  }
  const offset = (offsetHours * 60 + offsetMinutes) * 60_000
  return zone === 45 ? local + offset : local - offset
}

/** The decimal number in `len` characters of `v` from `at`; -1 when one is not a digit. */
function digits(v: string, at: number, len: number): number {
  let out = 0
  for (let i = at; i < at + len; i++) {
    const c = v.charCodeAt(i) - 48
    if (c < 0 || c > 9) return -1
    out = out * 10 + c
  }
  return out
}

function daysInMonth(y: number, mo: number): number {
  if (mo === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28
  return mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31
}

/**
 * Parses an RFC 3339 timestamp to epoch ms (sub-millisecond digits truncated). A `+` offset that
 * arrived unencoded in a query string reads as a space; it is put back rather than rejected.
 */
export function parseTimestamp(value: string, field: string): number {
  const fast = fastTimestamp(value)
  if (fast !== undefined) return fast
  const repaired = value.replace(/ (\d{2}:?\d{2})$/, '+$1')
  const fastRepaired = repaired === value ? undefined : fastTimestamp(repaired)
  if (fastRepaired !== undefined) return fastRepaired
  let ms: number
  try {
    ms = Temporal.Instant.from(repaired).epochMilliseconds
  } catch {
    throw new BadRequestError(
      'invalid_timestamp',
      `${field} must be an RFC 3339 timestamp with an offset, such as 2025-09-11T12:34:56Z; got ${JSON.stringify(value)}`,
      field,
    )
  }
  // Instants far outside the calendar (year -271821) parse, but local-calendar math on them
  // fails: years 1 to 9999 are what any range of activity can need.
  if (ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS) {
    throw new BadRequestError(
      'invalid_timestamp',
      `${field} must lie between the years 0001 and 9999; got ${JSON.stringify(value)}`,
      field,
    )
  }
  return ms
}

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the timestamps a request may name. */
const MIN_TIMESTAMP_MS = -62_135_596_800_000
const MAX_TIMESTAMP_MS = 253_402_300_799_999

/** Formats epoch ms as RFC 3339 UTC: `2025-09-28T23:30:32Z`, with `.123` only when needed. */
export function formatTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString()
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso
}

function pad2(n: number): string {
  return String(n).padStart(2, '0')
}
