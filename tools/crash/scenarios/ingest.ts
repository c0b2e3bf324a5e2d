/**
 * Ingest on every wire at once (Skopio events and AFK periods, input batches and frames,
 * WakaTime heartbeats, ActivityWatch heartbeats), killed at a random moment of it.
 */
import type { Scenario } from '../harness.ts'
import {
  InputBuckets,
  afk,
  afkSource,
  awHeartbeatSource,
  awHeartbeats,
  createAwBucket,
  eventSource,
  events,
  frameSource,
  frames,
  heartbeatSource,
  input,
  inputSource,
  pump,
  wakatime,
} from '../items.ts'

export const ingest: Scenario = {
  name: 'ingest',
  about: 'events, AFK, input, frames, WakaTime and ActivityWatch heartbeats at once',
  aw: true,
  kill: (t) => ({ from: 'ready', ms: t.rng.int(100, 2500) }),
  async work(t, live) {
    const stop = () => t.stopped
    const buckets = new InputBuckets(t.times)
    const heartbeats = wakatime(t.times)
    try {
      await createAwBucket(live)
    } catch {
      return // killed already
    }
    await Promise.all([
      pump(t.ledger(events), live, eventSource(t.times, t.rng, 200, t.size(15_000)), stop),
      pump(t.ledger(afk), live, afkSource(t.times, t.rng, 20, t.size(2_000)), stop),
      pump(t.ledger(input), live, inputSource(buckets, 20), stop),
      pump(t.ledger(frames), live, frameSource(buckets), stop),
      pump(t.ledger(heartbeats), live, heartbeatSource(t.times, t.rng, 25), stop),
      pump(t.ledger(awHeartbeats), live, awHeartbeatSource(t.times), stop),
    ])
  },
}
