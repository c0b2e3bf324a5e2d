/**
 * The crash harness's short pass: one quick trial of every scenario (a real daemon killed with
 * SIGKILL at a random moment and started again on the same data), each checked in full. The
 * long run is `npm run crash`; a failure here prints the command that repeats its trial.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { QUICK_SCALE, describeFailure, failed, runTrial, table } from '../../tools/crash/harness.ts'
import { SCENARIOS } from '../../tools/crash/scenarios/index.ts'

const seed = Math.floor(Math.random() * 2 ** 31)

test(`crash harness, one quick trial per scenario (seed ${seed})`, async (t) => {
  const results = []
  for (const [i, scenario] of SCENARIOS.entries()) {
    // A kill that lands before the first answer checks nothing acknowledged (on a busy machine
    // it happens): such a trial is checked too, and the scenario gets another moment to die at,
    // so every scenario is checked with something acknowledged.
    let r
    for (let attempt = 0; attempt < 5; attempt++) {
      r = await runTrial(scenario, seed + i + attempt * SCENARIOS.length, QUICK_SCALE)
      results.push(r)
      if (r.acknowledged > 0 || r.beforeReady) break
    }
    assert.ok(
      r && (r.acknowledged > 0 || r.beforeReady),
      `${scenario.name}: nothing was acknowledged`,
    )
  }
  t.diagnostic(`\n${table(results)}`)
  const failures = results.filter(failed)
  assert.equal(failures.length, 0, failures.map(describeFailure).join('\n'))
})
