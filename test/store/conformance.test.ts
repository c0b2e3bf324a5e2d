/**
 * Which stores the conformance suite runs over (`STORES`); the suite itself runs in a file per
 * kind, side by side: `conformance-sqlite.test.ts`, `conformance-postgres.test.ts`
 * (`STORES=sqlite npm test -- 'test/store/conformance*.test.ts'` runs one).
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { STORE_FACTORIES, storesUnderTest } from './stores.ts'

test('STORES: a list of known kinds, both stores by default; an unknown kind fails loudly', () => {
  assert.deepEqual(
    storesUnderTest(undefined).map(([kind]) => kind),
    ['sqlite', 'postgres'],
  )
  assert.deepEqual(
    storesUnderTest(' sqlite ,').map(([kind, open]) => [kind, open === STORE_FACTORIES.sqlite]),
    [['sqlite', true]],
  )
  assert.throws(() => storesUnderTest('sqlite,postgress'), /unknown store kind "postgress"/)
  assert.throws(() => storesUnderTest(','), /no store kind/)
})

test('every store kind has a conformance file', () => {
  for (const kind of Object.keys(STORE_FACTORIES)) {
    assert.ok(
      existsSync(path.join(import.meta.dirname, `conformance-${kind}.test.ts`)),
      `test/store/conformance-${kind}.test.ts runs the suite over ${kind}`,
    )
  }
})
