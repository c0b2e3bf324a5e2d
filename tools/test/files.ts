/**
 * The test files and the order they start in, shared by the runner (`run.ts`) and the measuring
 * tool (`measure.ts`): every `test/**\/*.test.ts` (or the files and globs given), files without
 * a measured duration first, then the measured ones longest first (`durations.json`); and which
 * files share a process (`SHARED`).
 */
import { existsSync, globSync, readFileSync } from 'node:fs'
import path from 'node:path'

/** The repository's root (the runner's paths are relative to it, as `node --test`'s are). */
export const ROOT = path.join(import.meta.dirname, '..', '..')

/** Where the measured durations are kept (seconds of wall time per file, `measure.ts --write`). */
export const DURATIONS = path.join(import.meta.dirname, 'durations.json')

/** What `npm test` runs when given no files. */
export const DEFAULT_PATTERN = 'test/**/*.test.ts'

/** The files `patterns` name (relative to ROOT, `/`-separated), sorted, node_modules left out. */
export function testFiles(patterns: readonly string[] = [DEFAULT_PATTERN]): string[] {
  const found = new Set<string>()
  for (const pattern of patterns) {
    const matches = globSync(pattern, {
      cwd: ROOT,
      exclude: (name) => path.basename(name) === 'node_modules',
    })
    if (matches.length === 0) throw new Error(`no test file matches ${pattern}`)
    for (const file of matches) found.add(file.split(path.sep).join('/'))
  }
  return [...found].sort()
}

/** The kept durations (seconds per file); none when the file is missing. */
export function readDurations(file = DURATIONS): Record<string, number> {
  if (!existsSync(file)) return {}
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>
}

/**
 * `files` in the order to start them: the ones with no measured duration first (a new file may be
 * long; started first, it cannot end up alone at the end), then the rest longest first, so the
 * long ones run beside the many short ones instead of after them.
 */
export function longestFirst(
  files: readonly string[],
  durations: Readonly<Record<string, number>>,
): string[] {
  const unknown = files.filter((f) => durations[f] === undefined)
  const known = files
    .filter((f) => durations[f] !== undefined)
    .sort((a, b) => (durations[b] as number) - (durations[a] as number) || a.localeCompare(b))
  return [...unknown, ...known]
}

/**
 * Test files that run several to a process (`run.ts`): the ones that work in the test process
 * itself (apps injected, the domain's functions), a directory or a file per entry. A process of
 * its own costs such a file more CPU than its tests do: Node starting, every module loaded and
 * compiled again, the app's validators built again (about 2 s of CPU for a file with one app,
 * 0.35 s for each app after the first in a warm process). Their tests create no globals and leave
 * `process` alone, so they can share one. Files that wait on processes they start (daemons, the
 * CLI, browsers, PostgreSQL) keep a process each: in a shared process the tests run one at a
 * time, and those would wait in line.
 */
export const SHARED: readonly string[] = [
  'test/domain/',
  'test/api/',
  'test/config/',
  'test/collectors/input-collector.test.ts',
  'test/collectors/desktop.test.ts',
  'test/collectors/platforms.test.ts',
  'test/compat/activitywatch/api.test.ts',
  'test/compat/activitywatch/import-retry.test.ts',
  'test/compat/activitywatch/query-golden.test.ts',
  'test/compat/activitywatch/query-limits.test.ts',
  'test/compat/activitywatch/serve-flags.test.ts',
  'test/compat/activitywatch/timeline.test.ts',
  'test/compat/activitywatch/transforms.test.ts',
  'test/compat/wakatime/ingest.test.ts',
  'test/compat/wakatime/reads.test.ts',
  'test/fuzz/bounds.test.ts',
  'test/lint/',
  'test/tools/',
  'test/store/conformance.test.ts',
  'test/store/migrations.test.ts',
  'test/store/migration-activitywatch.test.ts',
]

/** Whether `file` (relative to ROOT) runs in a shared process. */
export function isShared(file: string): boolean {
  return SHARED.some((entry) => (entry.endsWith('/') ? file.startsWith(entry) : file === entry))
}

/**
 * `files` in `n` groups of about equal measured duration, to run a group to a process: longest
 * first, each into the group with the least so far (a file never measured counts as the longest
 * measured one: it may be long). Empty groups are left out.
 */
export function balancedGroups(
  files: readonly string[],
  durations: Readonly<Record<string, number>>,
  n: number,
): string[][] {
  const longest = Math.max(1, ...files.map((f) => durations[f] ?? 0))
  const weight = (f: string) => durations[f] ?? longest
  const groups = Array.from({ length: Math.max(1, n) }, () => ({ files: [] as string[], total: 0 }))
  for (const file of files.toSorted((a, b) => weight(b) - weight(a) || a.localeCompare(b))) {
    const lightest = groups.reduce((min, g) => (g.total < min.total ? g : min))
    lightest.files.push(file)
    lightest.total += weight(file)
  }
  return groups.filter((g) => g.files.length > 0).map((g) => g.files.sort())
}
