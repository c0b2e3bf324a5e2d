/**
 * Re-sent events and AFK periods: the stored state is the same whatever order, and however often,
 * the sends of one item arrive.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { afkArrival, eventArrival } from '../../src/domain/arrivals.ts'

test('an event: unknown is inserted, a later end extends, an equal or earlier end is a duplicate', () => {
  assert.equal(eventArrival(undefined, false, 10), 'insert')
  assert.equal(eventArrival(5, false, 10), 'extend')
  assert.equal(eventArrival(10, false, 10), 'duplicate')
  assert.equal(eventArrival(12, false, 10), 'duplicate')
})

test('a deleted event stays deleted', () => {
  assert.equal(eventArrival(undefined, true, 10), 'duplicate')
})

test('an AFK period: a real end closes an open one or extends a closed one; anything else is a duplicate', () => {
  assert.equal(afkArrival(undefined, false, null), 'insert')
  assert.equal(afkArrival(undefined, false, 10), 'insert')
  assert.equal(afkArrival({ endMs: null }, false, 10), 'extend')
  assert.equal(afkArrival({ endMs: 5 }, false, 10), 'extend')
  assert.equal(afkArrival({ endMs: 10 }, false, 10), 'duplicate')
  assert.equal(afkArrival({ endMs: 10 }, false, null), 'duplicate')
  assert.equal(afkArrival({ endMs: null }, false, null), 'duplicate')
  assert.equal(afkArrival(undefined, true, 10), 'duplicate')
})

/** Applies arrivals the way a store does, and returns the stored end and the counts. */
function applyEvents(ends: readonly number[]) {
  let stored: number | undefined
  const counts = { insert: 0, extend: 0, duplicate: 0 }
  for (const end of ends) {
    const what = eventArrival(stored, false, end)
    counts[what]++
    if (what !== 'duplicate') stored = end
  }
  return { stored, counts }
}

test('any arrival order of an event’s sends stores the latest end, inserted once', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 1_000 }), { minLength: 1, maxLength: 12 }),
      fc.func(fc.integer()),
      (ends, key) => {
        const shuffled = [...ends].sort((a, b) => key(a) - key(b) || a - b)
        const a = applyEvents(ends)
        const b = applyEvents(shuffled)
        assert.equal(a.stored, Math.max(...ends))
        assert.equal(b.stored, a.stored)
        assert.equal(a.counts.insert, 1)
        assert.equal(b.counts.insert, 1)
        assert.equal(a.counts.insert + a.counts.extend + a.counts.duplicate, ends.length)
      },
    ),
  )
})

test('any arrival order of an AFK period’s sends stores its latest real end, or none', () => {
  fc.assert(
    fc.property(
      fc.array(fc.option(fc.integer({ min: 1, max: 1_000 })), { minLength: 1, maxLength: 12 }),
      fc.func(fc.integer()),
      (ends, key) => {
        const apply = (sends: readonly (number | null)[]) => {
          let stored: { endMs: number | null } | undefined
          for (const end of sends) {
            const what = afkArrival(stored, false, end)
            if (what === 'insert') stored = { endMs: end }
            else if (what === 'extend') stored = { endMs: end }
          }
          return stored?.endMs
        }
        const real = ends.filter((e): e is number => e !== null)
        const expected = real.length === 0 ? null : Math.max(...real)
        const shuffled = [...ends].sort((a, b) => key(a) - key(b) || (a ?? -1) - (b ?? -1))
        assert.equal(apply(ends), expected)
        assert.equal(apply(shuffled), expected)
      },
    ),
  )
})
