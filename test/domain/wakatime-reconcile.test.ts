/**
 * Reconciling a heartbeat stream: re-deriving only the stretches between the stable cuts around
 * new heartbeats, and writing only the difference, gives the events of deriving the whole stream,
 * whatever order and batches the heartbeats arrive in.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import type { NewActivityEvent } from '../../src/domain/events.ts'
import {
  type DeriveContext,
  type StreamHeartbeat,
  deriveEvents,
} from '../../src/domain/wakatime/derive.ts'
import { PLACEHOLDERS } from '../../src/domain/wakatime/heartbeat.ts'
import {
  type PageRequest,
  type PagedHeartbeat,
  type Replacement,
  type StreamWalk,
  deriveStretch,
  diffDerived,
  findStretches,
  joinStretches,
} from '../../src/domain/wakatime/reconcile.ts'

const MIN = 60_000
const TIMEOUT = 5 * MIN
const ctx: DeriveContext = {
  timeoutMs: TIMEOUT,
  device: null,
  source: 'wakatime-vscode',
  app: 'VS Code',
}

/** A stored heartbeat: its place in the stream is (time, id). */
type Stored = StreamHeartbeat & { id: number }
const compare = (a: Stored, b: Stored) => a.timeMs - b.timeMs || a.id - b.id

const heartbeatArb = fc.record({
  // Few minutes: heartbeats often share an instant, and gaps reach the timeout.
  minute: fc.integer({ min: 0, max: 20 }),
  entity: fc.constantFrom('a.rs', 'b.rs'),
  project: fc.constantFrom('daybook', 'other', PLACEHOLDERS.project),
  deleted: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
})

function heartbeatsOf(
  specs: readonly { minute: number; entity: string; project: string; deleted: boolean }[],
  firstId = 0,
): Stored[] {
  return specs.map((s, i) => ({
    id: firstId + i,
    timeMs: s.minute * MIN,
    entity: s.entity,
    type: 'file',
    category: 'coding',
    project: s.project,
    branch: 'main',
    language: 'Rust',
    deleted: s.deleted,
  }))
}

const keyOf = (e: NewActivityEvent) =>
  JSON.stringify([e.startMs, e.category, e.entity, e.entityType, e.project, e.branch, e.language])

/**
 * Answers a walk's requests from the stream in memory, `pageSize` heartbeats a page (small: the
 * walks cross pages and the derivation hands over several windows), each replacement to `replace`.
 */
function drive<T>(
  all: readonly Stored[],
  steps: Generator<PageRequest<Stored> | Replacement, T, PagedHeartbeat<Stored>[]>,
  replace: (r: Replacement) => void = () => undefined,
): T {
  let step = steps.next([])
  while (!step.done) {
    const ask = step.value
    if ('events' in ask) {
      replace(ask)
      step = steps.next([])
      continue
    }
    const { key, inclusive } = ask
    const rows =
      ask.direction === 'before'
        ? all.filter((h) => compare(h, key) < 0).reverse()
        : all.filter((h) => compare(h, key) > 0 || (inclusive && compare(h, key) === 0))
    step = steps.next(rows.slice(0, PAGE).map((h) => ({ ...h, key: h })))
  }
  return step.value
}

const PAGE = 2

/** What a store does for one write: find the stretches, derive them, apply the difference. */
function write(stream: Stored[], events: NewActivityEvent[], added: Stored[]): NewActivityEvent[] {
  const all = [...stream, ...added].sort(compare)
  const walk: StreamWalk<Stored> = {
    compare,
    timeOf: (h) => h.timeMs,
    idOf: (h) => String(h.id),
    pageSize: PAGE,
    timeoutMs: TIMEOUT,
  }
  let out = events
  for (const stretch of drive(all, findStretches(walk, added))) {
    drive(all, deriveStretch(walk, stretch, ctx), ({ fromMs, toMs, events: derived }) => {
      const inWindow = out.filter((e) => e.startMs >= fromMs && e.startMs < toMs)
      const diff = diffDerived(
        inWindow.map((e) => ({ key: keyOf(e), endMs: e.endMs, e })),
        derived.map((e) => ({ key: keyOf(e), endMs: e.endMs, e })),
      )
      const removed = new Set(diff.removals.map((r) => r.e))
      out = out.filter((e) => !removed.has(e))
      for (const { derived: d, stored } of diff.upserts) {
        if (stored) out = out.map((e) => (e === stored.e ? { ...e, endMs: d.endMs } : e))
        else out.push(d.e)
      }
    })
  }
  return out
}

const sorted = (events: readonly NewActivityEvent[]) =>
  events.map((e) => [keyOf(e), e.endMs]).sort((a, b) => String(a[0]).localeCompare(String(b[0])))

test('any arrival order and batching of heartbeats derives the events of the whole stream', () => {
  fc.assert(
    fc.property(
      fc.array(heartbeatArb, { minLength: 1, maxLength: 14 }),
      fc.func(fc.integer()),
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 14 }),
      (specs, order, batchSizes) => {
        const heartbeats = heartbeatsOf(specs)
        const arrival = [...heartbeats].sort((a, b) => order(a.id) - order(b.id) || a.id - b.id)
        let stream: Stored[] = []
        let events: NewActivityEvent[] = []
        for (let i = 0, b = 0; i < arrival.length; b++) {
          const size = batchSizes[b % batchSizes.length] as number
          const batch = arrival.slice(i, i + size)
          events = write(stream, events, batch)
          stream = [...stream, ...batch]
          i += size
        }
        const whole = deriveEvents([...heartbeats].sort(compare), ctx)
        assert.deepEqual(sorted(events), sorted(whole))
      },
    ),
    { numRuns: 300 },
  )
})

test('an event runs on across heartbeats at one instant: no stable cut before them', () => {
  // a.rs at 10, then b.rs and a placeholder a.rs at 14: the event of a.rs runs 10–15 across b.rs
  // (which covers nothing). A heartbeat at 15 must not cut the stretch at b.rs.
  const stream = heartbeatsOf([
    { minute: 10, entity: 'a.rs', project: 'other', deleted: false },
    { minute: 14, entity: 'b.rs', project: 'other', deleted: false },
    { minute: 14, entity: 'a.rs', project: PLACEHOLDERS.project, deleted: false },
  ])
  const late = heartbeatsOf([{ minute: 15, entity: 'a.rs', project: 'daybook', deleted: true }], 3)
  const events = write(stream, deriveEvents(stream, ctx), late)
  assert.deepEqual(sorted(events), sorted(deriveEvents([...stream, ...late].sort(compare), ctx)))
  assert.deepEqual(
    events.map((e) => [e.startMs / MIN, e.endMs / MIN, e.entity]),
    [[10, 15, 'a.rs']],
  )
})

test('the difference keeps what matches, moves ends, inserts the new and removes the rest', () => {
  const stored = [
    { key: 'a', endMs: 10 },
    { key: 'b', endMs: 20 },
    { key: 'c', endMs: 30 },
  ]
  const derived = [
    { key: 'a', endMs: 10 },
    { key: 'd', endMs: 40 },
    { key: 'b', endMs: 25 },
  ]
  const diff = diffDerived(stored, derived)
  assert.deepEqual(
    diff.upserts.map((u) => [u.derived.key, u.stored?.endMs]),
    [
      ['d', undefined],
      ['b', 20],
    ],
  )
  assert.deepEqual(
    diff.removals.map((r) => r.key),
    ['c'],
  )
})

test('stretches that overlap are joined; a stretch to the end swallows the rest', () => {
  const n = (a: number, b: number) => a - b
  assert.deepEqual(
    joinStretches(
      [
        { start: 1, end: 5 },
        { start: 3, end: 8 },
        { start: 8, end: 9 },
      ],
      n,
    ),
    [
      { start: 1, end: 8 },
      { start: 8, end: 9 },
    ],
  )
  assert.deepEqual(
    joinStretches(
      [
        { start: 1, end: null },
        { start: 3, end: null },
      ],
      n,
    ),
    [{ start: 1, end: null }],
  )
})
