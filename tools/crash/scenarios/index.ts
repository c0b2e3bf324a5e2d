/**
 * Every scenario, in the order the table shows them. A scenario is one module: a workload, when
 * to kill, and (if it needs one) a seed for the data dir. Sync push and pull get theirs as they
 * land.
 */
import type { Scenario } from '../harness.ts'
import { activityWatchImport } from './activitywatch-import.ts'
import { backup } from './backup.ts'
import { daybookImport } from './daybook-import.ts'
import { ingest } from './ingest.ts'
import { migration } from './migration.ts'
import { rollups } from './rollups.ts'
import { settings } from './settings.ts'

export const SCENARIOS: readonly Scenario[] = [
  ingest,
  rollups,
  settings,
  migration,
  activityWatchImport,
  daybookImport,
  backup,
]
