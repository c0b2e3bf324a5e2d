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
const names = values.scenario ?? SCENARIOS.map((s) => s.name)
const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n))
if (unknown.length > 0) {
  process.stderr.write(`crash: no scenario ${unknown.join(', ')} (--help lists them)\n`)
  process.exit(2)
}
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed)
process.stderr.write(`crash: ${trials} trial(s) of ${names.join(', ')}, seed ${seed}\n`)

const results: TrialResult[] = []
let index = 0
for (const scenario of SCENARIOS.filter((s) => names.includes(s.name))) {
  for (let i = 0; i < trials; i++) {
    const r = await runTrial(scenario, (seed + index++) >>> 0, values.quick ? QUICK_SCALE : 1)
    results.push(r)
    const mark = failed(r) ? 'FAILED' : 'ok'
    process.stderr.write(
      `crash: ${scenario.name} ${i + 1}/${trials}: ${mark}, ${r.acknowledged} acknowledged` +
        `${r.beforeReady ? ', killed before ready' : ''}, ${(r.ms / 1000).toFixed(1)} s\n`,
    )
    if (failed(r)) process.stderr.write(`${describeFailure(r)}\n`)
  }
}
process.stdout.write(`${table(results)}\n`)
const failures = results.filter(failed)
if (failures.length > 0) {
  process.stdout.write(
    `\n${failures.length} trial(s) failed:\n${failures.map(describeFailure).join('\n')}\n`,
  )
  process.exit(1)
}
