/**
 * The fuzzer's short pass: generated requests against a real daemon on both listeners, tokens of
 * every scope and none. No request may be answered with a 5xx (or not at all), and the daemon's
 * RSS may not grow by more than the limit. 2,000 requests, or `DAYBOOK_FUZZ_REQUESTS`. A failure prints the seed and the shrunk request as an `inject` call;
 * `npm run fuzz -- --seed N` repeats the run.
 *
 * Nor may a request wait the whole answer timeout on its first send (even if it is answered when
 * sent again), nor the daemon's process be held by anything once its clean stop has closed
 * everything of its own. Both cost a run minutes and failed nothing before: a chat's timer left
 * running kept the stopped daemon alive for five minutes (runs of 320–335 s instead of 8–35 s).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runFuzz } from '../../tools/fuzz/fuzz.ts'

const requests = Number(process.env.DAYBOOK_FUZZ_REQUESTS ?? 2_000)
const seed = Math.floor(Math.random() * 2 ** 31)

test(`fuzzer, ${requests} requests (seed ${seed})`, { timeout: 30 * 60_000 }, async (t) => {
  const r = await runFuzz({ requests, seed })
  t.diagnostic(
    `${r.requests} sent to ${r.operations} operations: ${JSON.stringify(r.statuses)}, ` +
      `${r.unsendable} not sendable; daemon RSS ${r.rssBeforeMb.toFixed(0)} → ${r.rssAfterMb.toFixed(0)} MB; ` +
      `${r.noAnswerOnce} answered only when sent again (${r.noAnswerInTime} of them after the whole ` +
      `answer timeout)${r.firstNoAnswer === undefined ? '' : `, the first: ${r.firstNoAnswer}`}; ` +
      `stopped in ${(r.stopMs / 1000).toFixed(1)} s`,
  )
  assert.equal(
    r.failure,
    undefined,
    r.failure &&
      `a ${r.failure.status} (${r.failure.body.slice(0, 300)}); npm run fuzz -- --seed ${seed}\n${r.failure.snippet}`,
  )
  assert.ok(r.requests >= requests * 0.9, `only ${r.requests} of ${requests} could be sent`)
  // A connection closed under a request (answered when sent again) is counted and shown above;
  // a request left waiting the whole timeout is a hang, however it ended.
  assert.equal(
    r.noAnswerInTime,
    0,
    `a request went unanswered for the whole answer timeout (seed ${seed}): ${r.firstNoAnswer}`,
  )
  assert.equal(
    r.heldAfterStop,
    undefined,
    `the daemon's process was still held after its clean stop had closed everything (seed ${seed}): ${r.heldAfterStop}`,
  )
  assert.ok(
    r.rssAfterMb - r.rssBeforeMb <= r.rssLimitMb,
    `the daemon's RSS grew from ${r.rssBeforeMb.toFixed(0)} to ${r.rssAfterMb.toFixed(0)} MB (limit ${r.rssLimitMb.toFixed(0)} MB more)`,
  )
})
