/**
 * Properties of edge triggering over random days: however often (and whenever) the rules are
 * evaluated while the day's data arrives, each crossing fires at most once, firings keep the
 * cooldown apart, and evaluated often enough every crossing fires.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { type ActivityEvent, eventId } from '../../src/domain/events.ts'
import {
  type HookView,
  OCCURRENCE_KINDS,
  evaluateCondition,
} from '../../src/domain/hooks/conditions.ts'
import { decide, initialState } from '../../src/domain/hooks/firing.ts'
import type { Match, When } from '../../src/domain/hooks/rules.ts'
import { DEFAULT_SETTINGS } from '../../src/domain/settings.ts'
import { eventTimeline } from '../../src/domain/timeline.ts'

const MIN = 60_000
const DAY_START = Date.parse('2025-09-11T00:00:00Z')
const DAY_END = DAY_START + 24 * 60 * MIN

/** A day of back-to-back pieces of activity (some of them gaps), each 1–40 minutes. */
const dayArb = fc
  .array(
    fc.record({
      minutes: fc.integer({ min: 1, max: 40 }),
      what: fc.constantFrom('code-a', 'code-b', 'browse', 'gap'),
    }),
    { minLength: 5, maxLength: 60 },
  )
  .map((pieces) => {
    const events: ActivityEvent[] = []
    let t = DAY_START + 6 * 60 * MIN
    for (const p of pieces) {
      const end = t + p.minutes * MIN
      if (p.what !== 'gap') {
        const base = {
          device: 'laptop',
          startMs: t,
          endMs: end,
          durationSec: null,
          category: p.what === 'browse' ? 'Browsing' : 'Coding',
          app: p.what === 'browse' ? 'Firefox' : 'Code',
          entity: p.what,
          entityType: null,
          project: p.what === 'code-b' ? 'beta' : p.what === 'code-a' ? 'alpha' : 'web',
          projectPath: null,
          branch: null,
          language: null,
          source: 'daybook-window',
        }
        events.push({ id: eventId('laptop', base), ...base })
      }
      t = end
    }
    return { events, lastMs: t }
  })

const whenArb: fc.Arbitrary<When> = fc.oneof(
  fc.record({
    kind: fc.constant('activity' as const),
    match: fc.constant({ app: 'code' }),
    minutes: fc.integer({ min: 5, max: 60 }),
  }),
  fc.record({
    kind: fc.constant('budget' as const),
    match: fc.constant<Match>({ category: ['brows'] }),
    minutes: fc.integer({ min: 5, max: 120 }),
  }),
  fc.record({
    kind: fc.constant('no_break' as const),
    match: fc.constant({}),
    minutes: fc.integer({ min: 10, max: 90 }),
    breakMinutes: fc.integer({ min: 2, max: 15 }),
  }),
  fc.record({
    kind: fc.constant('back_from_afk' as const),
    match: fc.constant({}),
    minutes: fc.integer({ min: 5, max: 30 }),
  }),
  fc.record({
    kind: fc.constant('project_switch' as const),
    match: fc.constant({ category: 'coding' }),
    minutes: fc.integer({ min: 5, max: 30 }),
  }),
)

/** The view at `nowMs` when the data has arrived up to then. */
function viewAt(events: readonly ActivityEvent[], nowMs: number): HookView {
  const arrived = events
    .filter((e) => e.startMs < nowMs)
    .map((e) => ({ ...e, endMs: Math.min(e.endMs, nowMs) }))
  return {
    nowMs,
    windowStartMs: DAY_START,
    segments: eventTimeline(arrived, [], { startMs: DAY_START, endMs: nowMs }, DEFAULT_SETTINGS),
    days: [{ label: '2025-09-11', startMs: DAY_START, endMs: DAY_END }],
    collectors: [],
    labels: [],
  }
}

/** Evaluates at each instant of `schedule` and fires as the rule would; returns the firings. */
function run(
  when: When,
  events: readonly ActivityEvent[],
  schedule: readonly number[],
  cooldownMs: number,
): { key: string; firedMs: number }[] {
  let state = initialState(DAY_START)
  const fired: { key: string; firedMs: number }[] = []
  for (const nowMs of schedule) {
    const { crossings } = evaluateCondition(when, viewAt(events, nowMs))
    const decision = decide(state, crossings, {
      nowMs,
      cooldownMs,
      occurrences: OCCURRENCE_KINDS.has(when.kind),
    })
    // What a restart sees: the state as stored, nothing else.
    state = structuredClone(decision.state)
    for (const c of decision.fire) fired.push({ key: c.key, firedMs: nowMs })
  }
  return fired
}

/** Increasing instants from the morning to the end of the day, `gaps` minutes apart. */
function scheduleOf(gaps: readonly number[]): number[] {
  const out: number[] = []
  let t = DAY_START + 6 * 60 * MIN
  for (const g of gaps) {
    t += g * MIN
    if (t >= DAY_END) break
    out.push(t)
  }
  out.push(DAY_END - MIN)
  return out
}

test('each crossing fires at most once, whenever the rules are evaluated', () => {
  fc.assert(
    fc.property(
      dayArb,
      whenArb,
      fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 80 }),
      ({ events }, when, gaps) => {
        const schedule = scheduleOf(gaps)
        const fired = run(when, events, schedule, 0)
        const keys = fired.map((f) => f.key)
        assert.equal(new Set(keys).size, keys.length, `fired twice: ${keys.join(', ')}`)
        const final = new Set(
          evaluateCondition(when, viewAt(events, DAY_END - MIN)).crossings.map((c) => c.key),
        )
        for (const key of keys) assert.ok(final.has(key), `${key} is no crossing of the day`)
      },
    ),
    { numRuns: 200 },
  )
})

test('evaluated every minute, every crossing of the day fires exactly once', () => {
  fc.assert(
    fc.property(dayArb, whenArb, ({ events, lastMs }, when) => {
      const schedule: number[] = []
      for (
        let t = DAY_START + 6 * 60 * MIN;
        t <= Math.min(lastMs + 120 * MIN, DAY_END - MIN);
        t += MIN
      ) {
        schedule.push(t)
      }
      const fired = run(when, events, schedule, 0).map((f) => f.key)
      const final = evaluateCondition(when, viewAt(events, schedule.at(-1) as number)).crossings
      // Data of an instant arrives after it: an occurrence can be found after a later one fired.
      assert.deepEqual(fired.sort(), final.map((c) => c.key).sort())
    }),
    { numRuns: 100 },
  )
})

test('firings are never closer than the cooldown', () => {
  fc.assert(
    fc.property(
      dayArb,
      whenArb,
      fc.integer({ min: 1, max: 180 }),
      fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 100 }),
      ({ events }, when, cooldown, gaps) => {
        const fired = run(when, events, scheduleOf(gaps), cooldown * MIN)
        for (let i = 1; i < fired.length; i++) {
          const gap =
            (fired[i] as { firedMs: number }).firedMs -
            (fired[i - 1] as { firedMs: number }).firedMs
          assert.ok(gap >= cooldown * MIN, `fired ${gap / MIN} minutes apart, cooldown ${cooldown}`)
        }
      },
    ),
    { numRuns: 200 },
  )
})
