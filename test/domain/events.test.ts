import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { stringify as uuidStringify } from 'uuid'
import { eventId, eventIdBytes } from '../../src/domain/events.ts'

test('eventIdBytes is eventId, byte for byte, for any names', () => {
  fc.assert(
    fc.property(
      fc.uuid(),
      fc.record({
        source: fc.string(),
        startMs: fc.integer({ min: 0, max: 4_102_444_800_000 }),
        category: fc.string(),
        app: fc.string({ unit: 'grapheme' }),
        // Long names too: the hash's buffer (4 kB to start) must grow to hold the whole key.
        entity: fc.oneof(
          fc.string({ unit: 'grapheme' }),
          fc.string({ unit: 'grapheme', minLength: 1000, maxLength: 2000 }),
        ),
        project: fc.string(),
        branch: fc.option(fc.string(), { nil: null }),
        language: fc.option(fc.string(), { nil: null }),
      }),
      (device, identity) => {
        assert.equal(uuidStringify(eventIdBytes(device, identity)), eventId(device, identity))
      },
    ),
    { numRuns: 500 },
  )
})
