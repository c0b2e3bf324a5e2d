/**
 * Keyboard and mouse activity: counts per 5-minute bucket, the frames server's leniency rules for
 * counts sent by other clients, the bucket rule, and the metrics computed over a range.
 */

/** The kinds of input counted: left, right and middle clicks, key presses, motion, scroll steps. */
export const INPUT_KINDS = ['lc', 'rc', 'mc', 'kp', 'mm', 'scroll'] as const
export type InputKind = (typeof INPUT_KINDS)[number]
export type InputCounts = Record<InputKind, number>

/** Bucket length: 5 minutes, in epoch milliseconds (UTC). */
export const BUCKET_MS = 300_000
/** Only timestamps this recent are trusted to place counts in a bucket (the frames server's 30 days). */
export const TRUSTED_PAST_MS = 30 * 86_400_000
/**
 * The largest count one request may add to one kind of one bucket. A human produces at most a few
 * hundred thousand motion events in 5 minutes; anything above this is a broken client, and the cap
 * keeps stored sums far from SQLite's 64-bit limit.
 */
export const MAX_COUNT = 1_000_000_000
/** Source name of frames that do not say which collector sent them (the frames client). */
export const DEFAULT_FRAMES_SOURCE = 'frames'

/** A stored bucket: its start (epoch ms) and its counts. */
export interface InputBucket extends InputCounts {
  bucketMs: number
}

export function emptyCounts(): InputCounts {
  return { lc: 0, rc: 0, mc: 0, kp: 0, mm: 0, scroll: 0 }
}

export function isEmptyCounts(c: InputCounts): boolean {
  return INPUT_KINDS.every((k) => c[k] === 0)
}

/** A stored row of input: one bucket of one device and one source (what an export writes). */
export interface InputRow extends InputCounts {
  bucketMs: number
  /** The device by name; null: the daemon's own. */
  device: string | null
  source: string
}

/**
 * A stored row's counts after `given` is merged into it: each counter the larger, since counts
 * only grow (a row of an export read back, a row another device syncs). Undefined when no counter
 * grows: the row changes nothing, however often it is given.
 */
export function largerCounts(stored: InputCounts, given: InputCounts): InputCounts | undefined {
  let grew = false
  const merged = emptyCounts()
  for (const k of INPUT_KINDS) {
    merged[k] = Math.max(stored[k], given[k])
    if (given[k] > stored[k]) grew = true
  }
  return grew ? merged : undefined
}

/** `a` less `b`, counter by counter (a new object). */
export function subtractCounts(a: InputCounts, b: InputCounts): InputCounts {
  const out = emptyCounts()
  for (const k of INPUT_KINDS) out[k] = a[k] - b[k]
  return out
}

/** Adds `b` into `a` (mutating `a`) and returns `a`. */
export function addCounts(a: InputCounts, b: InputCounts): InputCounts {
  for (const k of INPUT_KINDS) a[k] += b[k]
  return a
}

/** The start of the 5-minute bucket holding `ms`. */
export function bucketStart(ms: number): number {
  return Math.floor(ms / BUCKET_MS) * BUCKET_MS
}

/**
 * The bucket a frame's counts go to: its own timestamp when that lies within the last 30 days and
 * not in the future, else the receive time. A future timestamp (a client clock running ahead) thus
 * lands in the current bucket, which is where any skew allowance would have put it anyway.
 */
export function bucketFor(timestampMs: number | undefined, nowMs: number): number {
  const trusted =
    timestampMs !== undefined && timestampMs <= nowMs && timestampMs >= nowMs - TRUSTED_PAST_MS
  return bucketStart(trusted ? timestampMs : nowMs)
}

/**
 * An integer the way the frames server's `safe_int` (Python `int(v)`) reads one, or undefined where it
 * gives up: numbers truncate toward zero (3.7 → 3), booleans are 0/1, strings of digits with an
 * optional sign, surrounding spaces and `_` separators parse ("7" → 7); anything else is undefined.
 */
export function lenientInt(v: unknown): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : undefined
  if (typeof v === 'string') {
    const s = v.trim()
    if (!/^[+-]?\d(?:_?\d)*$/.test(s)) return undefined
    const n = Number(s.replaceAll('_', ''))
    // Python's int has no upper bound: a string of 400 digits is a (huge) finite integer.
    if (Number.isFinite(n)) return n
    return s.startsWith('-') ? -Number.MAX_VALUE : Number.MAX_VALUE
  }
  return undefined
}

/** A count from a lenient client: the frames server's rule, but negative and non-finite are 0, and capped. */
export function lenientCount(v: unknown): number {
  const n = lenientInt(v)
  if (n === undefined || !Number.isFinite(n) || n <= 0) return 0
  return Math.min(n, MAX_COUNT)
}

/** Totals, rates and active time of input over `[startMs, endMs)`. */
export interface InputMetrics {
  /** Buckets with stored input in the range (an epoch is one 5-minute bucket). */
  n_epochs: number
  epoch_sec: number
  totals: InputCounts
  /** Totals divided by the minutes of the whole range. */
  per_minute: InputCounts
  /** Totals divided by the active minutes. */
  per_active_minute: InputCounts
  /**
   * Minutes covered by buckets that hold any input, clipped to the range. Buckets are 5 minutes
   * long, so this is at 5-minute resolution: a single key press makes its whole bucket active.
   */
  active_minutes: number
}

/** Metrics of the buckets starting in `[startMs, endMs)`; all zero when there are none. */
export function inputMetrics(
  buckets: readonly InputBucket[],
  startMs: number,
  endMs: number,
): InputMetrics {
  const totals = emptyCounts()
  let activeMs = 0
  let epochs = 0
  for (const b of buckets) {
    epochs++
    addCounts(totals, b)
    if (!isEmptyCounts(b)) activeMs += Math.min(b.bucketMs + BUCKET_MS, endMs) - b.bucketMs
  }
  const spanMin = (endMs - startMs) / 60_000
  const activeMin = activeMs / 60_000
  return {
    n_epochs: epochs,
    epoch_sec: BUCKET_MS / 1000,
    totals,
    per_minute: rates(totals, spanMin),
    per_active_minute: rates(totals, activeMin),
    active_minutes: activeMin,
  }
}

function rates(totals: InputCounts, minutes: number): InputCounts {
  const out = emptyCounts()
  if (minutes <= 0) return out
  for (const k of INPUT_KINDS) out[k] = Math.round((totals[k] / minutes) * 1000) / 1000
  return out
}
