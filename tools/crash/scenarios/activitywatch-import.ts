/**
 * An import (ActivityWatch's `POST /api/0/import`): buckets of window events, each stored whole
 * with its timeline view, or not at all; killed at a random moment of it. Importing a bucket
 * again skips what it holds, so a client that got no answer imports it again.
 */
import type { Scenario } from '../harness.ts'
import { awImportSource, awImports, pump } from '../items.ts'

export const activityWatchImport: Scenario = {
  name: 'import',
  about: 'ActivityWatch imports (a bucket of 300 events each), as they land',
  aw: true,
  kill: (t) => ({ from: 'ready', ms: t.rng.int(100, 3000) }),
  work: (t, live) => pump(t.ledger(awImports), live, awImportSource(t.times, 300), () => t.stopped),
}
