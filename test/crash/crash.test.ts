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
    const r = await runTrial(scenario, seed + i, QUICK_SCALE)
    results.push(r)
    assert.ok(r.acknowledged > 0 || r.beforeReady, `${scenario.name}: nothing was acknowledged`)
  }
  t.diagnostic(`\n${table(results)}`)
  const failures = results.filter(failed)
  assert.equal(failures.length, 0, failures.map(describeFailure).join('\n'))
})
