/**
 * `npm run fuzz -- [--requests N] [--seed N] [--minutes M] [--only RE]`: generated requests
 * against the whole API (see `fuzz.ts`); prints the figures, and the first request answered with
 * a 5xx (shrunk, as a test line). Exits 1 on a 5xx, when RSS grew by more than the limit, when a
 * request waited the whole answer timeout, or when the stopped daemon's process was held.
 */
import { parseArgs } from 'node:util'
import { RSS_GROWTH_LIMIT_MB, STORE_THREAD_MB, runFuzz } from './fuzz.ts'

const HELP = `Usage: npm run fuzz -- [options]

Sends generated requests (from the OpenAPI document, ActivityWatch's and WakaTime's routes, MCP
and the chat) with tokens of every scope and none, mutating query strings, JSON bodies and
headers. Fails on any 5xx, printing the request, when RSS grows by more than ${RSS_GROWTH_LIMIT_MB} MB
(${STORE_THREAD_MB} MB more for each store thread the run started: a user's diary), when a
request goes unanswered for the whole answer timeout (120 s; DAYBOOK_FUZZ_ANSWER_TIMEOUT_MS sets
it, shorter to hunt for requests left waiting), and when something still holds the daemon's
process once its clean stop (SIGTERM) has closed everything of its own.

Options:
  --requests N   how many (default 20000)
  --seed N       fast-check's seed (default: random; printed)
  --minutes M    stop after M minutes, reporting the requests sent by then
  --only RE      only the operations whose "METHOD /path" matches the regular expression
  --heap-snapshots DIR
                 write heap snapshots of the daemon's main thread to DIR (before.heapsnapshot
                 after the warm-up, after.heapsnapshot at the end), to compare in DevTools
  -h, --help     this help
`

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    seed: { type: 'string' },
    only: { type: 'string' },
    minutes: { type: 'string' },
    'heap-snapshots': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
})
if (values.help) {
  process.stdout.write(HELP)
  process.exit(0)
}
const requests = Number(values.requests)
if (!Number.isInteger(requests) || requests < 1) {
  process.stderr.write('fuzz: --requests must be a whole number of at least 1\n')
  process.exit(2)
}
const minutes = values.minutes === undefined ? undefined : Number(values.minutes)
if (minutes !== undefined && !(minutes > 0)) {
  process.stderr.write('fuzz: --minutes must be a number above 0\n')
  process.exit(2)
}
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed)
process.stderr.write(`fuzz: ${requests} requests, seed ${seed}\n`)
const r = await runFuzz({
  requests,
  seed,
  ...(minutes === undefined ? {} : { maxMs: minutes * 60_000 }),
  ...(values.only === undefined ? {} : { only: new RegExp(values.only) }),
  ...(values['heap-snapshots'] === undefined ? {} : { heapSnapshots: values['heap-snapshots'] }),
  progress: (line) => process.stderr.write(`fuzz: ${line}\n`),
})
const seconds = r.ms / 1000
process.stdout.write(
  [
    `| requests | operations | 2xx | 3xx | 4xx | 5xx | not sendable | answered when re-sent | daemon RSS before → after | time | requests/s |`,
    `| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |`,
    `| ${r.requests} | ${r.operations} | ${r.statuses['2xx']} | ${r.statuses['3xx']} | ${r.statuses['4xx']} | ${r.statuses['5xx']} | ${r.unsendable} | ${r.noAnswerOnce} | ${r.rssBeforeMb.toFixed(0)} → ${r.rssAfterMb.toFixed(0)} MB | ${seconds.toFixed(0)} s | ${(r.requests / seconds).toFixed(0)} |`,
    '',
  ].join('\n'),
)
process.stdout.write(
  [
    '',
    "The daemon's memory after a collection in every isolate (MB):",
    '',
    `| requests | ${r.samples.map((s) => s.requests).join(' | ')} |`,
    `| --- | ${r.samples.map(() => '---:').join(' | ')} |`,
    `| RSS | ${r.samples.map((s) => s.rssMb.toFixed(0)).join(' | ')} |`,
    `| main thread's heap | ${r.samples.map((s) => s.heap.toFixed(0)).join(' | ')} |`,
    `| store workers' heaps | ${r.samples.map((s) => s.workers.reduce((a, b) => a + b, 0).toFixed(0)).join(' | ')} |`,
    `| database | ${r.samples.map((s) => s.databaseMb.toFixed(0)).join(' | ')} |`,
    '',
  ].join('\n'),
)
if (r.firstNoAnswer !== undefined) {
  process.stdout.write(`\nThe first request answered only when re-sent: ${r.firstNoAnswer}\n`)
}
process.stdout.write(`\nThe daemon stopped in ${(r.stopMs / 1000).toFixed(1)} s after SIGTERM\n`)
let failed = false
if (r.noAnswerInTime > 0) {
  failed = true
  process.stdout.write(
    `\n${r.noAnswerInTime} requests went unanswered for the whole answer timeout, seed ${r.seed}\n`,
  )
}
if (r.heldAfterStop !== undefined) {
  failed = true
  process.stdout.write(
    `\nThe daemon's process was held after its clean stop (killed), seed ${r.seed}: ${r.heldAfterStop}\n`,
  )
}
if (r.failure) {
  failed = true
  process.stdout.write(
    `\nA 5xx (${r.failure.status}: ${r.failure.body.slice(0, 300)}), seed ${r.seed}:\n${r.failure.snippet}\n`,
  )
}
if (!(r.rssAfterMb - r.rssBeforeMb <= r.rssLimitMb)) {
  failed = true
  process.stdout.write(
    `\nRSS grew by ${(r.rssAfterMb - r.rssBeforeMb).toFixed(0)} MB (limit ${r.rssLimitMb.toFixed(0)})\n`,
  )
}
if (failed) process.exit(1)
