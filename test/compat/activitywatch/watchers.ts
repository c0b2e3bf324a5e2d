/**
 * ActivityWatch's standard watchers as they talk to a server, for simulated days: aw-watcher-window
 * and aw-watcher-afk through the Python aw-client's queued heartbeats (client-side pre-merge,
 * commit every 10 s of merged time), aw-watcher-web through aw-client-js (every heartbeat sent,
 * the previous tab closed at now − 1 ms on a change). Pulsetimes are the watchers' own.
 */

export interface Heartbeat {
  timestamp: number
  duration: number
  data: Record<string, unknown>
}

/** Sends one heartbeat (bucket, pulsetime in seconds, event with times in epoch ms). */
export type Send = (bucket: string, pulsetime: number, e: Heartbeat) => Promise<void>

const iso = (ms: number) => new Date(ms).toISOString()

/** The wire form: RFC 3339 timestamp, duration in seconds. */
export function wire(e: Heartbeat): { timestamp: string; duration: number; data: unknown } {
  return { timestamp: iso(e.timestamp), duration: e.duration / 1000, data: e.data }
}

function sameData(a: Heartbeat, b: Heartbeat): boolean {
  return JSON.stringify(a.data) === JSON.stringify(b.data)
}

/** aw-client (Python) `heartbeat(queued=True)`: merges locally, sends on a change or every 10 s. */
export class QueuedClient {
  readonly #last = new Map<string, Heartbeat>()
  readonly #send: Send
  readonly #commitMs: number

  constructor(send: Send, commitIntervalSec = 10) {
    this.#send = send
    this.#commitMs = commitIntervalSec * 1000
  }

  async heartbeat(bucket: string, pulsetime: number, e: Heartbeat): Promise<void> {
    const last = this.#last.get(bucket)
    if (!last) {
      this.#last.set(bucket, e)
      return
    }
    const lastEnd = last.timestamp + last.duration
    const merges =
      sameData(last, e) &&
      last.timestamp <= e.timestamp &&
      e.timestamp <= lastEnd + pulsetime * 1000
    if (merges) {
      const merged = {
        timestamp: last.timestamp,
        duration: Math.max(lastEnd, e.timestamp + e.duration) - last.timestamp,
        data: last.data,
      }
      if (last.duration >= this.#commitMs) {
        await this.#send(bucket, pulsetime, merged)
        this.#last.set(bucket, e)
      } else {
        this.#last.set(bucket, merged)
      }
    } else {
      await this.#send(bucket, pulsetime, last)
      this.#last.set(bucket, e)
    }
  }
}

/** aw-watcher-window: polls every second; pulsetime max(1.5 × poll, poll + 1) = 2 s. */
export async function windowWatcher(
  client: QueuedClient,
  bucket: string,
  from: number,
  to: number,
  windowAt: (ms: number) => { app: string; title: string },
): Promise<void> {
  for (let t = from; t <= to; t += 1000) {
    await client.heartbeat(bucket, 2, { timestamp: t, duration: 0, data: windowAt(t) })
  }
}

/**
 * aw-watcher-afk: polls every 5 s; timeout 180 s; pulsetime 185 s. On a change of state it closes
 * the old state at the last input and opens the new one 1 ms later (the double heartbeat); AFK
 * heartbeats carry the time since the last input as their duration.
 */
export async function afkWatcher(
  client: QueuedClient,
  bucket: string,
  from: number,
  to: number,
  lastInputAt: (ms: number) => number,
): Promise<void> {
  const timeout = 180_000
  const pulsetime = 185
  let afk = false
  const ping = (isAfk: boolean, timestamp: number, duration = 0) =>
    client.heartbeat(bucket, pulsetime, {
      timestamp,
      duration,
      data: { status: isAfk ? 'afk' : 'not-afk' },
    })
  for (let now = from; now <= to; now += 5000) {
    const lastInput = lastInputAt(now)
    const since = now - lastInput
    if (afk && since < timeout) {
      await ping(afk, lastInput)
      afk = false
      await ping(afk, lastInput + 1)
    } else if (!afk && since >= timeout) {
      await ping(afk, lastInput)
      afk = true
      await ping(afk, lastInput + 1, since)
    } else if (afk) {
      await ping(afk, lastInput, since)
    } else {
      await ping(afk, lastInput)
    }
  }
}

/**
 * aw-watcher-web: a heartbeat on every minute's alarm and on a tab change (the old tab closed
 * 1 ms before the new one starts); pulsetime 60 + 20 = 80 s; each heartbeat sent as is.
 */
export async function webWatcher(
  send: Send,
  bucket: string,
  visits: readonly { at: number; until: number; url: string; title: string }[],
): Promise<void> {
  let previous: Heartbeat['data'] | undefined
  for (const v of visits) {
    const data = { url: v.url, title: v.title, audible: false, incognito: false, tabCount: 3 }
    if (previous) await send(bucket, 80, { timestamp: v.at - 1, duration: 0, data: previous })
    for (let t = v.at; t < v.until; t += 60_000) {
      await send(bucket, 80, { timestamp: t, duration: 0, data })
    }
    previous = data
  }
}
