/**
 * The fuzzer's short pass: generated requests against a real daemon on both listeners, tokens of
 * every scope and none. No request may be answered with a 5xx (or not at all), and the daemon's
 * RSS may not grow by more than the limit. 2,000 requests, or `DAYBOOK_FUZZ_REQUESTS`. A failure prints the seed and the shrunk request as an `inject` call;
 * `npm run fuzz -- --seed N` repeats the run.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RSS_GROWTH_LIMIT_MB, runFuzz } from '../../tools/fuzz/fuzz.ts'

const requests = Number(process.env.DAYBOOK_FUZZ_REQUESTS ?? 2_000)
const seed = Math.floor(Math.random() * 2 ** 31)

test(`fuzzer, ${requests} requests (seed ${seed})`, { timeout: 30 * 60_000 }, async (t) => {
  const r = await runFuzz({ requests, seed })
  t.diagnostic(
    `${r.requests} sent to ${r.operations} operations: ${JSON.stringify(r.statuses)}, ` +
      `${r.unsendable} not sendable; daemon RSS ${r.rssBeforeMb.toFixed(0)} → ${r.rssAfterMb.toFixed(0)} MB`,
  )
  assert.equal(
    r.failure,
    undefined,
    r.failure &&
      `a ${r.failure.status} (${r.failure.body.slice(0, 300)}); npm run fuzz -- --seed ${seed}\n${r.failure.snippet}`,
  )
  assert.ok(r.requests >= requests * 0.9, `only ${r.requests} of ${requests} could be sent`)
  assert.ok(
    r.rssAfterMb - r.rssBeforeMb <= RSS_GROWTH_LIMIT_MB,
    `the daemon's RSS grew from ${r.rssBeforeMb.toFixed(0)} to ${r.rssAfterMb.toFixed(0)} MB`,
  )
})
