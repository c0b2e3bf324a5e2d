/**
 * ActivityWatch's event transforms, with aw-server-rust's semantics (the query functions call
 * these): flood, period intersection and union, union without overlap, merging and chunking by
 * keys, key/value filters, URL splitting, classification. Times are nanosecond `bigint`s.
 * Where the Rust server's order is a hash map's (merge, find_bucket), first-seen order is used.
 */
import {
  type JsonObject,
  type JsonValue,
  canonicalJson,
  compareCodePoints,
  jsonEqual,
} from './json.ts'
import { type AwEvent, endOf } from './model.ts'

const ZERO = 0n

function byTimestamp(a: AwEvent, b: AwEvent): number {
  return a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0
}

/** Ascending by start (stable). */
export function sortByTimestamp(events: readonly AwEvent[]): AwEvent[] {
  return [...events].sort(byTimestamp)
}

/** Longest first (stable). */
export function sortByDuration(events: readonly AwEvent[]): AwEvent[] {
  return [...events].sort((a, b) =>
    a.duration > b.duration ? -1 : a.duration < b.duration ? 1 : 0,
  )
}

/** Nanoseconds of a gap halved as chrono halves a `Duration` (toward zero). */
function half(ns: bigint): bigint {
  return ns / 2n
}

/**
 * Fills gaps shorter than `pulsetime` between neighbours: equal data merges (also when
 * overlapping), different data meets in the middle of the gap.
 */
export function flood(events: readonly AwEvent[], pulsetime: bigint): AwEvent[] {
  const sorted = sortByTimestamp(events).map((e) => ({ ...e }))
  const out: AwEvent[] = []
  let gapPrev: bigint | undefined
  let i = 0
  let retry: AwEvent | undefined
  for (;;) {
    let e1: AwEvent
    if (retry) {
      e1 = retry
      retry = undefined
    } else {
      const n = sorted[i]
      if (!n) break
      e1 = n
      i++
    }
    if (gapPrev !== undefined) {
      e1.timestamp -= half(gapPrev)
      e1.duration += half(gapPrev)
      gapPrev = undefined
    }
    const e2 = sorted[i]
    if (!e2) {
      out.push(e1)
      break
    }
    const gap = e2.timestamp - endOf(e1)
    // Overlapping, or apart by less than the pulse time: equal data merges into one event.
    if ((gap < ZERO || gap < pulsetime) && jsonEqual(e1.data, e2.data)) {
      const start = e1.timestamp < e2.timestamp ? e1.timestamp : e2.timestamp
      const end = endOf(e1) > endOf(e2) ? endOf(e1) : endOf(e2)
      e1.timestamp = start
      e1.duration = end - start
      i++
      retry = e1
      continue
    }
    // A gap shorter than the pulse time is shared: half to each side.
    if (gap >= ZERO && gap < pulsetime) {
      e1.duration += half(gap)
      gapPrev = gap
    }
    out.push(e1)
  }
  return out
}

/** The parts of `events` inside the periods of `filter` (AFK filtering); zero-length ones dropped. */
export function filterPeriodIntersect(
  events: readonly AwEvent[],
  filter: readonly AwEvent[],
): AwEvent[] {
  if (events.length === 0 || filter.length === 0) return []
  const es = sortByTimestamp(events)
  const fs = sortByTimestamp(filter)
  const out: AwEvent[] = []
  let ei = 0
  let fi = 0
  let cur = { ...(es[ei] as AwEvent) }
  let f = fs[fi] as AwEvent
  for (;;) {
    const eventEnd = endOf(cur)
    const filterEnd = endOf(f)
    if (cur.duration === ZERO || eventEnd <= f.timestamp) {
      const n = es[++ei]
      if (!n) return out
      cur = { ...n }
      continue
    }
    if (cur.timestamp >= filterEnd) {
      const n = fs[++fi]
      if (!n) return out
      f = n
      continue
    }
    const start = cur.timestamp > f.timestamp ? cur.timestamp : f.timestamp
    const end = eventEnd < filterEnd ? eventEnd : filterEnd
    out.push({ ...cur, timestamp: start, duration: end - start })
    // What is left of the current event after this piece.
    const oldStart = cur.timestamp
    cur.timestamp = end
    cur.duration = oldStart + cur.duration - cur.timestamp
  }
}

/** The union of both lists' periods (touching periods join), data cleared. */
export function periodUnion(a: readonly AwEvent[], b: readonly AwEvent[]): AwEvent[] {
  const sorted = sortByTimestamp([...a, ...b])
  const out: AwEvent[] = []
  for (const e of sorted) {
    const last = out[out.length - 1]
    if (last && e.timestamp <= endOf(last) && last.timestamp <= endOf(e)) {
      const start = last.timestamp < e.timestamp ? last.timestamp : e.timestamp
      const end = endOf(last) > endOf(e) ? endOf(last) : endOf(e)
      last.duration = end - start
    } else {
      out.push({ ...e })
    }
  }
  return out.map((e) => ({ ...e, data: {} }))
}

function splitAt(e: AwEvent, at: bigint): [AwEvent, AwEvent | undefined] {
  if (e.timestamp < at && at < endOf(e)) {
    return [
      { id: null, timestamp: e.timestamp, duration: at - e.timestamp, data: e.data },
      { id: null, timestamp: at, duration: e.duration - (at - e.timestamp), data: e.data },
    ]
  }
  return [e, undefined]
}

function intersects(a: AwEvent, b: AwEvent): boolean {
  const start = a.timestamp > b.timestamp ? a.timestamp : b.timestamp
  const end = endOf(a) < endOf(b) ? endOf(a) : endOf(b)
  return start < end
}

/** Both lists merged; where they overlap the first wins and the second is cut around it. */
export function unionNoOverlap(first: readonly AwEvent[], second: readonly AwEvent[]): AwEvent[] {
  const e2s = [...second]
  const out: AwEvent[] = []
  let i = 0
  let j = 0
  while (i < first.length && j < e2s.length) {
    const e1 = first[i] as AwEvent
    const e2 = e2s[j] as AwEvent
    if (intersects(e1, e2)) {
      if (e1.timestamp <= e2.timestamp) {
        out.push(e1)
        i++
        const [, rest] = splitAt(e2, endOf(e1))
        if (rest) e2s[j] = rest
        else j++
      } else {
        const [head, rest] = splitAt(e2, e1.timestamp)
        out.push(head)
        j++
        if (rest) e2s.splice(j, 0, rest)
      }
    } else if (e1.timestamp <= e2.timestamp) {
      out.push(e1)
      i++
    } else {
      out.push(e2)
      j++
    }
  }
  out.push(...first.slice(i), ...e2s.slice(j))
  return out
}

/**
 * Events grouped by the values of `keys` (an event lacking one is dropped), durations summed;
 * each group is its first event (full data, no id) with the total duration. No keys: nothing.
 */
export function mergeEventsByKeys(events: readonly AwEvent[], keys: readonly string[]): AwEvent[] {
  if (keys.length === 0) return []
  const groups = new Map<string, AwEvent>()
  outer: for (const e of events) {
    const values: string[] = []
    for (const k of keys) {
      if (!Object.hasOwn(e.data, k)) continue outer
      values.push(canonicalJson(e.data[k] as JsonValue))
    }
    const key = JSON.stringify(values)
    const g = groups.get(key)
    if (g) g.duration += e.duration
    else groups.set(key, { id: null, timestamp: e.timestamp, duration: e.duration, data: e.data })
  }
  return [...groups.values()]
}

/** Adjacent events with an equal value of `key` merged (events lacking it are dropped). */
export function chunkEventsByKey(events: readonly AwEvent[], key: string): AwEvent[] {
  const out: AwEvent[] = []
  for (const e of events) {
    if (!Object.hasOwn(e.data, key)) continue
    const last = out[out.length - 1]
    if (!last) {
      out.push({ ...e })
      continue
    }
    if (jsonEqual(last.data[key] as JsonValue, e.data[key] as JsonValue))
      last.duration += e.duration
    else out.push({ ...e })
  }
  return out
}

/** Events whose `data[key]` equals one of `values`. */
export function filterKeyvals(
  events: readonly AwEvent[],
  key: string,
  values: readonly JsonValue[],
): AwEvent[] {
  return events.filter(
    (e) => Object.hasOwn(e.data, key) && values.some((v) => jsonEqual(v, e.data[key] as JsonValue)),
  )
}

/** Events whose `data[key]` equals none of `values` (events lacking the key are kept). */
export function excludeKeyvals(
  events: readonly AwEvent[],
  key: string,
  values: readonly JsonValue[],
): AwEvent[] {
  return events.filter(
    (e) =>
      !Object.hasOwn(e.data, key) || !values.some((v) => jsonEqual(v, e.data[key] as JsonValue)),
  )
}

/** Events whose string `data[key]` matches `regex`. */
export function filterKeyvalsRegex(
  events: readonly AwEvent[],
  key: string,
  regex: RegExp,
): AwEvent[] {
  return events.filter((e) => {
    const v = e.data[key]
    return typeof v === 'string' && test(regex, v)
  })
}

function test(regex: RegExp, text: string): boolean {
  regex.lastIndex = 0
  return regex.test(text)
}

/** Adds `$protocol`, `$domain` (without `www.`), `$path` and `$params` from `data.url`. */
export function splitUrlEvent(e: AwEvent): AwEvent {
  const url = e.data.url
  if (typeof url !== 'string') return e
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return e
  }
  const protocol = u.protocol.replace(/:$/, '')
  const host = u.hostname
  const data: JsonObject = {
    ...e.data,
    $protocol: protocol,
    $domain: host === '' ? protocol : host.replace(/^(www\.)+/, ''),
    $path: u.pathname,
    $params: u.search.replace(/^\?/, ''),
  }
  return { ...e, data }
}

/** A classification rule: `none` never matches; a regex matches any (selected) string value. */
export type Rule = { type: 'none' } | { type: 'regex'; regex: RegExp; selectKeys: string[] | null }

function ruleMatches(rule: Rule, e: AwEvent): boolean {
  if (rule.type === 'none') return false
  const values =
    rule.selectKeys === null
      ? Object.values(e.data)
      : rule.selectKeys.filter((k) => Object.hasOwn(e.data, k)).map((k) => e.data[k])
  return values.some((v) => typeof v === 'string' && test(rule.regex, v))
}

/** Sets `data["$category"]` to the deepest matching category (ties: the later rule). */
export function categorize(
  events: readonly AwEvent[],
  rules: readonly [string[], Rule][],
): AwEvent[] {
  return events.map((e) => {
    let category = ['Uncategorized']
    for (const [cat, rule] of rules) {
      if (ruleMatches(rule, e) && cat.length >= category.length) category = cat
    }
    return { ...e, data: { ...e.data, $category: [...category] } }
  })
}

/** Sets `data["$tags"]` to every matching tag, sorted, without repeats. */
export function tag(events: readonly AwEvent[], rules: readonly [string, Rule][]): AwEvent[] {
  return events.map((e) => {
    const tags = [...new Set(rules.filter(([, r]) => ruleMatches(r, e)).map(([t]) => t))].sort(
      compareCodePoints,
    )
    return { ...e, data: { ...e.data, $tags: tags } }
  })
}

/** The first bucket whose id is `filter` exactly, else the first starting with it (same host). */
export function findBucket(
  filter: string,
  hostname: string | undefined,
  buckets: readonly { id: string; hostname: string }[],
): string | undefined {
  let prefix: string | undefined
  for (const b of buckets) {
    if (!b.id.startsWith(filter)) continue
    if (hostname !== undefined && b.hostname !== hostname) continue
    if (b.id === filter) return b.id
    prefix ??= b.id
  }
  return prefix
}

/** Total duration in seconds with millisecond precision (truncated), as aw-server-rust sums. */
export function sumDurations(events: readonly AwEvent[]): number {
  let total = ZERO
  for (const e of events) total += e.duration
  return Number(total / 1_000_000n) / 1000
}
