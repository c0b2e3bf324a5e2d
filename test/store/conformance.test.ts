/**
 * The store conformance suite over every store kind `STORES` names (default: sqlite and
 * postgres), as `npm test` or `STORES=sqlite node --test test/store/conformance.test.ts`.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { conformance } from './conformance.ts'
import { STORE_FACTORIES, storesUnderTest } from './stores.ts'
import { postgresUnavailable } from '../postgres.ts'

for (const [kind, open] of storesUnderTest()) {
  // Only a developer's machine without PostgreSQL skips (CI requires it): with the reason.
  const missing = kind === 'postgres' ? await postgresUnavailable() : undefined
  if (missing === undefined) conformance(kind, open)
  else test(`${kind}: the store conformance suite`, (t) => t.skip(missing))
}

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
