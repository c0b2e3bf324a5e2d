/**
 * The pure parts: the heartbeat merge rule and the transforms, on aw-server-rust's own test cases
 * (its heartbeat.rs and flood.rs tests), plus the query language's grammar corners.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { mergeHeartbeat, pulsetimeNs } from '../../../src/domain/activitywatch/heartbeat.ts'
import { formatFloat, writeJson } from '../../../src/domain/activitywatch/json.ts'
import type { AwEvent } from '../../../src/domain/activitywatch/model.ts'
import { compileRegex } from '../../../src/domain/activitywatch/query/values.ts'
import { parseQuery } from '../../../src/domain/activitywatch/query/parse.ts'
import {
  periodUnion,
  flood,
  unionNoOverlap,
  filterPeriodIntersect,
  mergeEventsByKeys,
  splitUrlEvent,
} from '../../../src/domain/activitywatch/transforms.ts'
import { formatTimestamp, parseTimestamp } from '../../../src/domain/activitywatch/time.ts'

const S = 1_000_000_000n
const T0 = parseTimestamp('2000-01-01T00:00:00Z') as bigint
const ev = (
  startS: number,
  durS: number,
  data: AwEvent['data'] = {},
  id: number | null = null,
): AwEvent => ({
  id,
  timestamp: T0 + BigInt(startS * 1000) * 1_000_000n,
  duration: BigInt(durS * 1000) * 1_000_000n,
  data,
})
const plain = (events: AwEvent[]) =>
  events.map((e) => [
    Number((e.timestamp - T0) / 1_000_000n) / 1000,
    Number(e.duration / 1_000_000n) / 1000,
    e.data,
  ])

describe('heartbeat merge (aw-server-rust heartbeat.rs cases)', () => {
  test('within pulsetime merges; pulsetime 0 does not', () => {
    assert.deepEqual(mergeHeartbeat(ev(0, 1, {}, 1), ev(2, 1), pulsetimeNs(2)), ev(0, 3, {}, 1))
    assert.equal(mergeHeartbeat(ev(0, 1), ev(2, 1), pulsetimeNs(0)), undefined)
  })
  test('a long pulse: 120 s merges with pulsetime 120, not with 60', () => {
    assert.deepEqual(mergeHeartbeat(ev(0, 1), ev(120, 0), pulsetimeNs(120)), ev(0, 120))
    assert.equal(mergeHeartbeat(ev(0, 1), ev(120, 0), pulsetimeNs(60)), undefined)
  })
  test('different data, or a heartbeat older than the last event, never merges', () => {
    assert.equal(mergeHeartbeat(ev(0, 1, { a: 1 }), ev(1, 0, { a: 2 }), pulsetimeNs(5)), undefined)
    assert.equal(mergeHeartbeat(ev(10, 1), ev(9, 5), pulsetimeNs(5)), undefined)
  })
  test('the same timestamp never shrinks the event; key order does not matter', () => {
    assert.deepEqual(
      mergeHeartbeat(ev(0, 5, { a: 1, b: 2 }), ev(0, 1, { b: 2, a: 1 }), 0n),
      ev(0, 5, { a: 1, b: 2 }),
    )
  })
  test('pulsetime seconds become nanoseconds rounded, the bound inclusive', () => {
    assert.equal(pulsetimeNs(0.1), 100_000_000n)
    assert.deepEqual(mergeHeartbeat(ev(0, 1), ev(3.5, 0), pulsetimeNs(2.5)), ev(0, 3.5))
  })
})

describe('flood (aw-server-rust flood.rs cases, pulsetime 5 s)', () => {
  const P = 5n * S
  test('equal data within the pulsetime merges', () => {
    assert.deepEqual(plain(flood([ev(0, 1, { test: 1 }), ev(3, 1, { test: 1 })], P)), [
      [0, 4, { test: 1 }],
    ])
  })
  test('different data meets in the middle of the gap', () => {
    assert.deepEqual(plain(flood([ev(0, 1, { test: 1 }), ev(3, 1, { test: 2 })], P)), [
      [0, 2, { test: 1 }],
      [2, 2, { test: 2 }],
    ])
  })
  test('partial overlap and containment of equal data merge; of different data stay', () => {
    assert.deepEqual(plain(flood([ev(0, 10, { type: 'a' }), ev(5, 10, { type: 'a' })], P)), [
      [0, 15, { type: 'a' }],
    ])
    assert.deepEqual(plain(flood([ev(0, 10, { type: 'a' }), ev(1, 5, { type: 'a' })], P)), [
      [0, 10, { type: 'a' }],
    ])
    assert.deepEqual(plain(flood([ev(0, 10, { type: 'a' }), ev(1, 5, { type: 'b' })], P)), [
      [0, 10, { type: 'a' }],
      [1, 5, { type: 'b' }],
    ])
  })
  test('input order does not matter (sorted first); gaps of 5 s or more stay', () => {
    assert.deepEqual(plain(flood([ev(20, 1, { a: 1 }), ev(0, 1, { a: 1 })], P)), [
      [0, 1, { a: 1 }],
      [20, 1, { a: 1 }],
    ])
  })
})

describe('period transforms', () => {
  test('filter_period_intersect keeps the parts inside the filter periods', () => {
    const events = [ev(0, 10, { a: 1 }, 7), ev(10, 10, { b: 1 })]
    const filter = [ev(2, 3), ev(8, 4)]
    assert.deepEqual(plain(filterPeriodIntersect(events, filter)), [
      [2, 3, { a: 1 }],
      [8, 2, { a: 1 }],
      [10, 2, { b: 1 }],
    ])
    assert.equal(filterPeriodIntersect(events, filter)[0]?.id, 7)
  })
  test('period_union joins touching and overlapping periods and clears data', () => {
    assert.deepEqual(plain(periodUnion([ev(0, 5, { a: 1 })], [ev(5, 5, { b: 1 }), ev(20, 1)])), [
      [0, 10, {}],
      [20, 1, {}],
    ])
  })
  test('union_no_overlap: the first list wins, the second is cut around it', () => {
    assert.deepEqual(plain(unionNoOverlap([ev(2, 2, { x: 1 })], [ev(0, 10, { y: 1 })])), [
      [0, 2, { y: 1 }],
      [2, 2, { x: 1 }],
      [4, 6, { y: 1 }],
    ])
  })
  test('merge_events_by_keys drops events lacking a key, keeps the first full data', () => {
    const merged = mergeEventsByKeys(
      [ev(0, 1, { a: 1, b: 'x' }), ev(5, 2, { a: 1, b: 'y' }), ev(9, 4, { b: 'z' })],
      ['a'],
    )
    assert.deepEqual(plain(merged), [[0, 3, { a: 1, b: 'x' }]])
    assert.deepEqual(mergeEventsByKeys([ev(0, 1, { a: 1 })], []), [])
  })
  test('split_url_events adds protocol, domain without www., path and params', () => {
    assert.deepEqual(
      splitUrlEvent(ev(0, 1, { url: 'https://www.www.example.com/a/b?x=1&y=2#f' })).data,
      {
        url: 'https://www.www.example.com/a/b?x=1&y=2#f',
        $protocol: 'https',
        $domain: 'example.com',
        $path: '/a/b',
        $params: 'x=1&y=2',
      },
    )
    assert.equal(splitUrlEvent(ev(0, 1, { url: 'file:///tmp/x.html' })).data.$domain, 'file')
    assert.deepEqual(splitUrlEvent(ev(0, 1, { url: 'not a url' })).data, { url: 'not a url' })
  })
})

describe('wire format and query grammar', () => {
  test('timestamps and floats are written as aw-server-rust writes them', () => {
    assert.equal(formatTimestamp(T0), '2000-01-01T00:00:00Z')
    assert.equal(formatTimestamp(T0 + 1_500_000n), '2000-01-01T00:00:00.001500Z')
    assert.equal(
      formatTimestamp(parseTimestamp('2000-01-01T02:00:00.123+02:00') as bigint),
      '2000-01-01T00:00:00.123Z',
    )
    assert.deepEqual(
      [formatFloat(1), formatFloat(0.25), formatFloat(1e16), formatFloat(1.5e-7)],
      ['1.0', '0.25', '1e16', '1.5e-7'],
    )
    assert.equal(writeJson({ b: 1, a: [true, null, 'x'] }), '{"a":[true,null,"x"],"b":1}')
    assert.equal(parseTimestamp('2000-01-01T00:00:00'), undefined)
    assert.equal(parseTimestamp('2000-02-30T00:00:00Z'), undefined)
  })
  test('the grammar: one precedence left to right, if/elif/else, comments, escaped quotes only', () => {
    assert.equal(parseQuery('x = 1 + 2 * 3;').length, 1)
    const [stmt] = parseQuery('return 1 + 2 * 3;')
    assert.equal(stmt?.kind, 'return')
    assert.deepEqual(
      parseQuery('if a == 1 { b = 2; } elif a == 2 { b = 3; } else { b = 4; } # done\n;;').map(
        (s) => s.kind,
      ),
      ['if'],
    )
    const [s2] = parseQuery('RETURN = "a\\"b\\\\w";')
    assert.ok(s2?.kind === 'assign' && s2.value.kind === 'string')
    assert.equal(s2.value.kind === 'string' ? s2.value.value : '', 'a"b\\\\w')
  })
  test('regexes written for Rust compile: a leading (?i), named groups', () => {
    assert.ok(compileRegex('(?i)^(google[-_ ]?chrome|chrome)').test('Google-Chrome'))
    assert.ok(compileRegex('(?P<x>a)b').test('ab'))
    assert.ok(compileRegex('docs', true).test('DOCS'))
  })
})
