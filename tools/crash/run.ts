/**
 * `npm run crash -- [--trials N] [--scenario S]... [--seed N]`: the crash harness. Each trial is
 * a real daemon killed with SIGKILL at a random moment of a scenario and started again on the
 * same data; prints a table per scenario and the failures, each with the command that runs it
 * again. Exits 1 when any trial failed.
 */
import { parseArgs } from 'node:util'
import {
  QUICK_SCALE,
  describeFailure,
  failed,
  runTrial,
  table,
  type TrialResult,
} from './harness.ts'
import { SCENARIOS } from './scenarios/index.ts'

const HELP = `Usage: npm run crash -- [options]

Kills a real daemon with SIGKILL at random moments of each scenario, restarts it on the same
data, and checks that every acknowledged item is there exactly once, PRAGMA integrity_check is
ok, the rollups answer as the reference path does, the change feed has no gap and no duplicate,
and acknowledged settings hold.

Options:
  --trials N       trials per scenario (default 10)
  --scenario S     only this scenario (repeatable): ${SCENARIOS.map((s) => s.name).join(', ')}
  --seed N         the first trial's seed (default: random; printed); trial i uses seed + i
  --quick          a fifth of the data per trial (what the test in npm test runs)
  --parallel N     trials at once (default 1); each has its own daemon and data dir
  --minutes M      start no trial after M minutes; the table shows the trials run by then
  -h, --help       this help

Scenarios:
${SCENARIOS.map((s) => `  ${s.name.padEnd(14)} ${s.about}`).join('\n')}
`

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '10' },
    scenario: { type: 'string', multiple: true },
    seed: { type: 'string' },
    quick: { type: 'boolean' },
    parallel: { type: 'string', default: '1' },
    minutes: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
})
if (values.help) {
  process.stdout.write(HELP)
  process.exit(0)
}
const trials = Number(values.trials)
if (!Number.isInteger(trials) || trials < 1) {
  process.stderr.write('crash: --trials must be a whole number of at least 1\n')
  process.exit(2)
}
const parallel = Number(values.parallel)
if (!Number.isInteger(parallel) || parallel < 1) {
  process.stderr.write('crash: --parallel must be a whole number of at least 1\n')
  process.exit(2)
}
const minutes = values.minutes === undefined ? Infinity : Number(values.minutes)
if (!(minutes > 0)) {
  process.stderr.write('crash: --minutes must be a number above 0\n')
  process.exit(2)
}
const names = values.scenario ?? SCENARIOS.map((s) => s.name)
const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n))
if (unknown.length > 0) {
  process.stderr.write(`crash: no scenario ${unknown.join(', ')} (--help lists them)\n`)
  process.exit(2)
}
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed)
process.stderr.write(`crash: ${trials} trial(s) of ${names.join(', ')}, seed ${seed}\n`)

// Every trial: scenario n's trial i has seed + n * trials + i. They run round by round (each
// scenario's first trial, then each one's second...), so a run cut short by --minutes still
// covers every scenario.
const chosen = SCENARIOS.filter((s) => names.includes(s.name))
const planned = Array.from({ length: trials }, (_, i) =>
  chosen.map((scenario, n) => ({ scenario, i, seed: (seed + n * trials + i) >>> 0 })),
).flat()
const results: TrialResult[] = []
const started = performance.now()
let next = 0
// Trials run `parallel` at a time: much of a trial is waiting (for a daemon to start, for its
// kill), and each has its own daemon, ports and data dir, so they do not share anything.
await Promise.all(
  Array.from({ length: Math.min(parallel, planned.length) }, async () => {
    for (let p = planned[next++]; p !== undefined; p = planned[next++]) {
      if (performance.now() - started > minutes * 60_000) return
      const r = await runTrial(p.scenario, p.seed, values.quick ? QUICK_SCALE : 1)
      results.push(r)
      const mark = failed(r) ? 'FAILED' : 'ok'
      process.stderr.write(
        `crash: ${p.scenario.name} ${p.i + 1}/${trials}: ${mark}, ${r.acknowledged} acknowledged` +
          `${r.beforeReady ? ', killed before ready' : ''}, ${(r.ms / 1000).toFixed(1)} s\n`,
      )
      if (failed(r)) process.stderr.write(`${describeFailure(r)}\n`)
    }
  }),
)
results.sort(
  (a, b) =>
    chosen.findIndex((s) => s.name === a.scenario) -
      chosen.findIndex((s) => s.name === b.scenario) || a.seed - b.seed,
)
process.stdout.write(`${table(results)}\n`)
process.stdout.write(
  `\n${results.length} trials in ${((performance.now() - started) / 1000).toFixed(0)} s, ${parallel} at a time (the time column adds up each trial's own)\n`,
)
const failures = results.filter(failed)
if (failures.length > 0) {
  process.stdout.write(
    `\n${failures.length} trial(s) failed:\n${failures.map(describeFailure).join('\n')}\n`,
  )
  process.exit(1)
}
