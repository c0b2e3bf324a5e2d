/**
 * ActivityWatch time values: instants and durations in integer nanoseconds (`bigint`), as the
 * Rust server keeps them (`i64` nanoseconds since the Unix epoch, UTC). A double cannot hold
 * today's epoch nanoseconds exactly, so nothing here goes through `number` except a duration's
 * float seconds on the wire.
 */

const NS_PER_SEC = 1_000_000_000n
export const NS_PER_MS = 1_000_000n

/** The instants an `i64` of nanoseconds can hold (1677-09-21 … 2262-04-11), as Rust's. */
const MIN_NS = -(2n ** 63n)
const MAX_NS = 2n ** 63n - 1n

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/

/**
 * Parses an RFC 3339 timestamp with any UTC offset (`Z`, `+02:00`, `-05:30`) into epoch
 * nanoseconds; fractional digits beyond nanoseconds are truncated. Undefined when the text is not
 * RFC 3339, names an impossible date or time, lacks an offset, or lies outside the `i64` range.
 */
export function parseTimestamp(text: string): bigint | undefined {
  const m = RFC3339.exec(text)
  if (!m) return undefined
  const [, y, mo, d, h, mi, s, frac, z, sign, oh, om] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = Number(h)
  const minute = Number(mi)
  const second = Number(s)
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59)
    return undefined
  if (day > daysInMonth(year, month)) return undefined
  let offsetMin = 0
  if (z === undefined) {
    const offH = Number(oh)
    const offM = Number(om)
    if (offH > 23 || offM > 59) return undefined
    offsetMin = (sign === '-' ? -1 : 1) * (offH * 60 + offM)
  }
  // The offset is an explicit number in the text, not a zone rule: subtracting it is exact.
  const localSec =
    BigInt(daysFromCivil(year, month, day)) * 86_400n + BigInt(hour * 3600 + minute * 60 + second)
  const fracNs = BigInt(((frac ?? '') + '000000000').slice(0, 9))
  const ns = (localSec - BigInt(offsetMin * 60)) * NS_PER_SEC + fracNs
  return ns < MIN_NS || ns > MAX_NS ? undefined : ns
}

/**
 * Formats epoch nanoseconds as the Rust server serialises a UTC `DateTime`:
 * `2018-01-01T01:01:01Z`, with 3, 6 or 9 fractional digits only when the fraction is non-zero.
 */
export function formatTimestamp(ns: bigint): string {
  return `${formatBase(ns)}Z`
}

/** As `formatTimestamp` but with `+00:00`, as chrono's `to_rfc3339()` writes (`TIMEINTERVAL`). */
function formatRfc3339(ns: bigint): string {
  return `${formatBase(ns)}+00:00`
}

function formatBase(ns: bigint): string {
  let sec = ns / NS_PER_SEC
  let frac = ns % NS_PER_SEC
  if (frac < 0n) {
    sec -= 1n
    frac += NS_PER_SEC
  }
  const days = floorDiv(sec, 86_400n)
  const secOfDay = Number(sec - days * 86_400n)
  const [y, m, d] = civilFromDays(Number(days))
  const hh = Math.floor(secOfDay / 3600)
  const mm = Math.floor((secOfDay % 3600) / 60)
  const ss = secOfDay % 60
  const date = `${String(y).padStart(4, '0')}-${pad2(m)}-${pad2(d)}`
  return `${date}T${pad2(hh)}:${pad2(mm)}:${pad2(ss)}${fraction(Number(frac))}`
}

/** chrono's `SecondsFormat::AutoSi`: nothing, or 3, 6 or 9 digits. */
function fraction(nanos: number): string {
  if (nanos === 0) return ''
  if (nanos % 1_000_000 === 0) return `.${String(nanos / 1_000_000).padStart(3, '0')}`
  if (nanos % 1_000 === 0) return `.${String(nanos / 1_000).padStart(6, '0')}`
  return `.${String(nanos).padStart(9, '0')}`
}

/**
 * A duration in float seconds (as on the wire) to nanoseconds the way the Rust server converts
 * it: `(seconds * 1e9) as i64`, truncating toward zero. Undefined when out of the `i64` range.
 */
export function secondsToNs(seconds: number): bigint | undefined {
  if (!Number.isFinite(seconds)) return undefined
  const ns = Math.trunc(seconds * 1e9)
  if (Math.abs(ns) >= 2 ** 63) return undefined
  return BigInt(ns)
}

/** Nanoseconds to float seconds as the Rust server writes a duration (`ns as f64 / 1e9`). */
export function nsToSeconds(ns: bigint): number {
  return Number(ns) / 1e9
}

/** A query time period: `"<start>/<end>"`, each RFC 3339. */
export interface TimeInterval {
  start: bigint
  end: bigint
}

/** Parses `"<start>/<end>"` exactly as the Rust server does (one `/`, two RFC 3339 instants). */
export function parseTimeInterval(text: string): TimeInterval | undefined {
  const parts = text.split('/')
  if (parts.length !== 2) return undefined
  const start = parseTimestamp(parts[0] ?? '')
  const end = parseTimestamp(parts[1] ?? '')
  if (start === undefined || end === undefined) return undefined
  return { start, end }
}

/** The interval as the query language's `TIMEINTERVAL` variable holds it. */
export function formatTimeInterval(ti: TimeInterval): string {
  return `${formatRfc3339(ti.start)}/${formatRfc3339(ti.end)}`
}

function pad2(n: number): string {
  return String(n).padStart(2, '0')
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
}

function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeap(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y
  const era = Math.floor(yy / 400)
  const yoe = yy - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146_097 + doe - 719_468
}

function civilFromDays(z0: number): [number, number, number] {
  const z = z0 + 719_468
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  )
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp + (mp < 10 ? 3 : -9)
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d]
}
