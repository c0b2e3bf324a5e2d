/**
 * Presence ending open AFK periods: the inferred end is the earliest presence at or after the
 * period's start, whether the presence was stored before the period or after it.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  PRESENCE_PRIORITY,
  inferredEnd,
  isPresence,
  presenceEnd,
} from '../../src/domain/presence.ts'

test('editors are presence, sources ranked below them are not', () => {
  assert.equal(isPresence(PRESENCE_PRIORITY), true)
  assert.equal(isPresence(PRESENCE_PRIORITY + 100), true)
  assert.equal(isPresence(PRESENCE_PRIORITY - 1), false)
})

test('presence ends an open period at the first time at or after its start', () => {
  const open = { startMs: 100, inferredEndMs: null }
  assert.equal(presenceEnd(open, [50, 100, 300]), 100)
  assert.equal(presenceEnd(open, [50, 150, 300]), 150)
  assert.equal(presenceEnd(open, [50, 99]), undefined)
  assert.equal(presenceEnd(open, []), undefined)
})

test('presence later than the inferred end changes nothing; earlier presence moves it earlier', () => {
  assert.equal(presenceEnd({ startMs: 100, inferredEndMs: 200 }, [250]), undefined)
  assert.equal(presenceEnd({ startMs: 100, inferredEndMs: 200 }, [200]), undefined)
  assert.equal(presenceEnd({ startMs: 100, inferredEndMs: 200 }, [150]), 150)
})

test('an arriving period ends at the earliest evidence at or after its start', () => {
  assert.equal(inferredEnd(100, [null, null]), null)
  assert.equal(inferredEnd(100, [300, 200]), 200)
  assert.equal(inferredEnd(100, [null, 200]), 200)
  assert.equal(inferredEnd(100, [50, 200]), 200)
})

test('any order of a period and the presence on its device gives the same inferred end', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 100 }),
      fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 10 }),
      fc.nat(10),
      (startMs, presence, periodAt) => {
        // The period arrives after `periodAt` of the presence times (found as evidence when it is
        // stored); the rest come after it, in batches of one or two.
        const at = Math.min(periodAt, presence.length)
        const period = { startMs, inferredEndMs: inferredEnd(startMs, presence.slice(0, at)) }
        const after = presence.slice(at)
        for (let i = 0; i < after.length; i += 2) {
          const batch = after.slice(i, i + 2).sort((a, b) => a - b)
          const end = presenceEnd(period, batch)
          if (end !== undefined) period.inferredEndMs = end
        }
        const atOrAfter = presence.filter((t) => t >= startMs)
        assert.equal(period.inferredEndMs, atOrAfter.length === 0 ? null : Math.min(...atOrAfter))
      },
    ),
  )
})
