/**
 * `npm test`: every test file through node:test's runner, with the same per-test timeout as
 * `node --test`, the spec reporter, and a non-zero exit when anything fails. What differs:
 * - The order: `node --test` starts files alphabetically, so the longest ones (test/sync/,
 *   test/store/) started last and ran on alone at the end. Here files with no measured duration
 *   start first, then the rest longest first (`files.ts`, `durations.json`, refreshed by
 *   `measure.ts --write`); a new file needs no list.
 * - PostgreSQL: one throwaway server for the whole run (`test/postgres.ts`), not one per process.
 * - The processes: the files `SHARED` names (tests in the test process itself: injected apps,
 *   the domain) run in a few processes of several files each, a group of about equal duration
 *   to a process (a generated file that imports them); every other file in its own process.
 *
 *   node tools/test/run.ts [files or globs...]   (default test/**\/*.test.ts)
 *
 * TEST_CONCURRENCY sets how many files run at once (default: measured, see CONCURRENCY).
 * A single file still runs alone with `node --test FILE`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { run } from 'node:test'
import { spec } from 'node:test/reporters'
import { pathToFileURL } from 'node:url'
import { SHARED_SERVER, sharing, startPostgres } from '../../test/postgres.ts'
import { ROOT, balancedGroups, isShared, longestFirst, readDurations, testFiles } from './files.ts'

/** Each test's limit, as `npm test` always had it (`--test-timeout`). */
const TIMEOUT_MS = 300_000

/**
 * Files at once: two per core. The files wait much of their time on the processes they start
 * (daemons, browsers, PostgreSQL) and on sockets, so one per core leaves cores idle; more than
 * two per core only lengthens each file on CI's two cores. Measured in `measure.ts`.
 */
const CONCURRENCY = Number(process.env.TEST_CONCURRENCY ?? 2 * os.availableParallelism())

process.chdir(ROOT)
// The test processes compile the same sources every time: they share the compile cache the daemons
// and CLI runs they start already use (`cleanEnv` in test/daemon.ts), a quarter less CPU each.
process.env.NODE_COMPILE_CACHE ??= path.join(os.tmpdir(), 'daybook-test-compile-cache')
// One PostgreSQL server for the run (a database or a schema per test), instead of one per test process: each
// cost an initdb and a start. Without one, the reason goes to the processes (they skip, or fail
// where PostgreSQL is required, saying why). Stopped and removed when this process exits.
if (process.env[SHARED_SERVER] === undefined) {
  const pg = await startPostgres({ maxConnections: 400 }).catch((err: unknown) => String(err))
  process.env[SHARED_SERVER] = sharing(pg)
  // An interrupted run removes it too (the 'exit' handler).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))
}
const args = process.argv.slice(2)
const durations = readDurations()
const all = testFiles(args.length > 0 ? args : undefined)

/**
 * The shared files as `groups` generated files, each importing its group's files in turn (their
 * tests register and run in that one process, as each would in its own), with the group's
 * duration as the sum of its files'. The generated files live in a temp dir removed at exit.
 */
function groupFiles(shared: readonly string[], groups: number) {
  if (shared.length < 2) return { files: [...shared], durations: {} }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'daybook-test-groups-'))
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
  const files: string[] = []
  const measured: Record<string, number> = {}
  balancedGroups(shared, durations, groups).forEach((group, i) => {
    const file = path.join(dir, `group-${i + 1}.test.mjs`)
    const imports = group.map(
      (f) => `import ${JSON.stringify(pathToFileURL(path.join(ROOT, f)).href)}`,
    )
    writeFileSync(
      file,
      `// ${group.length} test files in one process (tools/test/run.ts)\n${imports.join('\n')}\n`,
    )
    files.push(file)
    measured[file] = group.reduce((sum, f) => sum + (durations[f] ?? 0), 0)
  })
  return { files, durations: measured }
}

// As many groups as files run at once: a group runs its tests one at a time, so fewer would make
// the longest group the run's end; more would load everything once more per group.
const grouped = groupFiles(all.filter(isShared), CONCURRENCY)
const files = longestFirst([...all.filter((f) => !isShared(f)), ...grouped.files], {
  ...durations,
  ...grouped.durations,
})

let summarized = false
run({ files, concurrency: CONCURRENCY, timeout: TIMEOUT_MS })
  .on('test:summary', (summary) => {
    // The run's own summary (per-file summaries name their file): success covers every file.
    if (summary.file !== undefined) return
    summarized = true
    if (!summary.success) process.exitCode = 1
  })
  .on('test:fail', (failure) => {
    if (failure.todo === undefined) process.exitCode = 1
  })
  .on('end', () => {
    if (!summarized) process.exitCode = 1
  })
  .compose(spec)
  .pipe(process.stdout)
