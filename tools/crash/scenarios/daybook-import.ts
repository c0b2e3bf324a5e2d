/**
 * Daybook's own import (`POST /v1/import`, CSV, `atomic`): files of window rows, each stored
 * whole or not at all, killed at a random moment of one (while it is read, checked into its
 * temporary file, or stored). A client that got no answer imports the file again, and content
 * ids make that add only what is missing.
 */
import type { Scenario } from '../harness.ts'
import { csvImportSource, csvImports, pump } from '../items.ts'

export const daybookImport: Scenario = {
  name: 'daybook-import',
  about: 'atomic CSV imports (300 rows each) through POST /v1/import',
  kill: (t) => ({ from: 'ready', ms: t.rng.int(100, 3000) }),
  work: (t, live) =>
    pump(t.ledger(csvImports), live, csvImportSource(t.times, 300), () => t.stopped),
}
