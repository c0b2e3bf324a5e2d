/**
 * A settings change recounting history: source priority and category rules (every stretch
 * resolved again), the WakaTime heartbeat timeout (every heartbeat stream derived again), changed
 * one after another over a history of events, AFK periods and heartbeats, with ingest going on.
 */
import type { Scenario, Trial } from '../harness.ts'
import {
  SKOPIO_SOURCES,
  afk,
  afkSource,
  eventSource,
  events,
  heartbeatSource,
  pump,
  wakatime,
} from '../items.ts'

/** A change of one or two of the settings that recount history. */
function change(t: Trial): Record<string, unknown> {
  const { rng } = t
  const patch: Record<string, unknown> = {}
  const what = rng.int(0, 3)
  if (what === 0 || what === 3) {
    patch.sourcePriority = {
      ...Object.fromEntries(SKOPIO_SOURCES.map((s) => [s, rng.int(1, 400)])),
      'wakatime-*': rng.int(1, 400),
      'aw-watcher-window': rng.int(1, 400),
      '*': 200,
    }
  }
  if (what === 1 || what === 3) {
    patch.categoryRules = [
      { match: 'app', pattern: '^(firefox)$', category: rng.pick(['Browsing', 'Research']) },
      { match: 'app', pattern: '^(slack|zoom)$', category: rng.pick(['Communicating', 'Meeting']) },
      { match: 'app', pattern: '^(kitty|code)$', category: rng.pick(['Coding', 'Tools']) },
    ]
  }
  if (what === 2) patch.heartbeatTimeoutSec = rng.int(60, 3600)
  return patch
}

export const settings: Scenario = {
  name: 'settings',
  about: 'settings changes recounting a history, with ingest going on',
  kill: (t) => ({ from: 'ready', ms: t.rng.int(500, 6000) }),
  async work(t, live) {
    const stop = () => t.stopped
    const heartbeats = wakatime(t.times)
    // The history first: events over three sources, AFK periods, a day of heartbeats.
    const history = { events: t.size(5_000), afk: t.size(500), heartbeats: t.size(2_000) }
    await Promise.all([
      pump(
        t.ledger(events),
        live,
        eventSource(t.times, t.rng, 500, history.events),
        () => stop() || t.ledger(events).acked.size >= history.events,
      ),
      pump(
        t.ledger(afk),
        live,
        afkSource(t.times, t.rng, 100, history.afk),
        () => stop() || t.ledger(afk).acked.size >= history.afk,
      ),
      pump(
        t.ledger(heartbeats),
        live,
        heartbeatSource(t.times, t.rng, 25),
        () => stop() || t.ledger(heartbeats).acked.size >= history.heartbeats,
      ),
    ])
    // Then the changes, one after another, with a trickle of new events.
    await Promise.all([
      (async () => {
        while (!stop() && (await t.settings.put(live, change(t))));
      })(),
      pump(t.ledger(events), live, eventSource(t.times, t.rng, 20, 15_000, history.events), stop),
    ])
  },
}
