/**
 * `npm test`: every test file through node:test's runner, each in its own process as under
 * `node --test`, with the same per-test timeout, the spec reporter, and a non-zero exit when
 * anything fails. What differs is the order: `node --test` starts files alphabetically, so the
 * longest ones (test/sync/, test/store/) started last and ran on alone at the end. Here files
 * with no measured duration start first, then the rest longest first (`files.ts`,
 * `durations.json`, refreshed by `measure.ts --write`); a new file needs no list.
 *
 *   node tools/test/run.ts [files or globs...]   (default test/**\/*.test.ts)
 *
 * TEST_CONCURRENCY sets how many files run at once (default: measured, see CONCURRENCY).
 * A single file still runs alone with `node --test FILE`.
 */
import os from 'node:os'
import path from 'node:path'
import { run } from 'node:test'
import { spec } from 'node:test/reporters'
import { ROOT, longestFirst, readDurations, testFiles } from './files.ts'

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
const args = process.argv.slice(2)
const files = longestFirst(testFiles(args.length > 0 ? args : undefined), readDurations())

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
