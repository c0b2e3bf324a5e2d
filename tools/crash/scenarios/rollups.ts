/**
 * The rollups catching up after a burst: events as fast as the daemon takes them, then quiet
 * while it recomputes the slots they touched (a second after their last write); killed at a
 * random moment of either.
 */
import type { Scenario } from '../harness.ts'
import { afk, afkSource, eventSource, events, idle, pump } from '../items.ts'

export const rollups: Scenario = {
  name: 'rollups',
  about: 'a burst of events, then the rollups catching up',
  kill: (t) => ({ from: 'ready', ms: t.rng.int(200, 5000) }),
  async work(t, live) {
    const stop = () => t.stopped
    await Promise.all([
      pump(t.ledger(events), live, eventSource(t.times, t.rng, 1000, t.size(20_000)), stop),
      pump(t.ledger(afk), live, afkSource(t.times, t.rng, 200, t.size(1_000)), stop),
    ])
    await idle(stop)
  },
}
