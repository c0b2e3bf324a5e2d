/**
 * The test files and the order they start in, shared by the runner (`run.ts`) and the measuring
 * tool (`measure.ts`): every `test/**\/*.test.ts` (or the files and globs given), files without
 * a measured duration first, then the measured ones longest first (`durations.json`).
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
