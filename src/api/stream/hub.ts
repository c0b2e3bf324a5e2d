/**
 * The live stream: every WebSocket client of `GET /v1/events`, fed from the after-commit bus.
 *
 * Each client gets text frames of envelopes `{"type","ts_unix_ms","correlation_id","payload"}`.
 * A client that asked for `after=SEQ` first gets the change feed from SEQ, then the live stream:
 * live messages that arrive meanwhile wait in its queue, and changes already replayed are dropped
 * from them by sequence number, so there is no gap and no duplicate.
 *
 * Nothing here can slow ingestion: the bus hands messages over synchronously and `send` only
 * queues bytes on the socket. A client whose socket stops draining (its queue grows past the
 * limit) is dropped with close code 1013; a peer that stops answering pings is terminated.
 */
import type { RawData, WebSocket } from 'ws'
import type { Bus, BusMessage, InputSample } from '../../services/bus.ts'
import type { Change } from '../../domain/changes.ts'
import { changeToWire } from '../routes/changes.ts'

/** The parts of a `ws` socket the hub uses. */
export type StreamSocket = Pick<
  WebSocket,
  'send' | 'close' | 'terminate' | 'ping' | 'on' | 'bufferedAmount' | 'readyState'
>

/** Frames every client gets, whatever it subscribed to: it must know the daemon's state. */
const LIFECYCLE = new Set(['DaemonStarted', 'DaemonShutdown'])

/** What a stream frame carries. */
export interface Envelope {
  type: string
  ts_unix_ms: number
  correlation_id: string | null
  payload: unknown
}

export interface HubOptions {
  /** Bytes queued on a client's socket beyond which it is dropped (default 4 MB). */
  maxBufferedBytes?: number
  /** Live messages held for a client while its replay runs (default 10,000). */
  maxReplayQueue?: number
  /** Ping interval; a peer that has not answered the previous ping is terminated (30 s). */
  pingMs?: number
  /** Status frames to every client at this interval (30 s). */
  statusMs?: number
  /** How long a dropped client has to read its close frame before its socket is destroyed (5 s). */
  dropGraceMs?: number
  /** The payload of `status` frames. */
  status: () => Promise<unknown>
  /** The change feed, for replays. */
  feed: (after: number, limit: number) => Promise<{ changes: Change[]; next: number }>
  clock: () => number
  onError?: (err: unknown) => void
}

type Pending =
  { kind: 'changes'; changes: readonly Change[] } | { kind: 'envelope'; envelope: Envelope }

/** One connected client. */
class StreamClient {
  readonly socket: StreamSocket
  readonly peer: string
  readonly connectedAt: number
  types: Set<string> | null
  alive = true
  /** Set while the replay runs: live messages wait here. */
  replayQueue: Pending[] | undefined
  /** The last sequence number the replay sent: queued live changes up to it are duplicates. */
  replayedSeq = 0
  dropped = false

  constructor(socket: StreamSocket, peer: string, connectedAt: number, types: Set<string> | null) {
    this.socket = socket
    this.peer = peer
    this.connectedAt = connectedAt
    this.types = types
  }
}

export class StreamHub {
  readonly #clients = new Set<StreamClient>()
  readonly #options: Required<Omit<HubOptions, 'onError'>> & Pick<HubOptions, 'onError'>
  readonly #timers: NodeJS.Timeout[] = []
  readonly #unsubscribe: () => void

  constructor(bus: Bus, options: HubOptions) {
    this.#options = {
      maxBufferedBytes: 4 * 1024 * 1024,
      maxReplayQueue: 10_000,
      pingMs: 30_000,
      statusMs: 30_000,
      dropGraceMs: 5_000,
      ...options,
    }
    this.#unsubscribe = bus.subscribe((m) => this.#onBus(m))
    const ping = setInterval(() => this.#heartbeat(), this.#options.pingMs)
    const status = setInterval(() => void this.#statusToAll(), this.#options.statusMs)
    ping.unref()
    status.unref()
    this.#timers.push(ping, status)
  }

  envelope(type: string, payload: unknown, correlationId: string | null = null): Envelope {
    return { type, ts_unix_ms: this.#options.clock(), correlation_id: correlationId, payload }
  }

  /** Connected clients, as `GET /v1/ws-clients` lists them. */
  list(): { peer: string; connected_at: number }[] {
    return [...this.#clients].map((c) => ({
      peer: c.peer,
      connected_at: Math.floor(c.connectedAt / 1000),
    }))
  }

  get size(): number {
    return this.#clients.size
  }

  /** Takes a new connection: greets it, replays the feed after `after` if asked, then goes live. */
  async attach(
    socket: StreamSocket,
    info: { peer: string; types: Set<string> | null; after?: number | undefined },
  ): Promise<void> {
    const client = new StreamClient(socket, info.peer, this.#options.clock(), info.types)
    this.#clients.add(client)
    socket.on('pong', () => (client.alive = true))
    socket.on('close', () => this.#clients.delete(client))
    socket.on(
      'message',
      (data: RawData, isBinary: boolean) => void this.#command(client, data, isBinary),
    )
    this.#send(client, this.envelope('DaemonStarted', { message: 'connected' }))
    if (info.after === undefined) return
    client.replayQueue = []
    client.replayedSeq = info.after
    try {
      for (let after = info.after; ;) {
        const { changes, next } = await this.#options.feed(after, 500)
        if (changes.length === 0 || client.dropped) break
        this.#sendChanges(client, changes)
        client.replayedSeq = next
        after = next
      }
    } catch (err) {
      this.#options.onError?.(err)
      this.#send(
        client,
        this.envelope('error', { message: 'the replay failed; see the daemon log' }),
      )
    }
    const queued = client.replayQueue
    client.replayQueue = undefined
    for (const pending of queued) {
      if (pending.kind === 'envelope') this.#send(client, pending.envelope)
      else
        this.#sendChanges(
          client,
          pending.changes.filter((c) => c.seq > client.replayedSeq),
        )
    }
  }

  /** Sends an envelope to every client (that wants its type). */
  broadcast(envelope: Envelope): void {
    for (const client of this.#clients) this.#deliver(client, { kind: 'envelope', envelope })
  }

  /** A clean stop: every client hears `DaemonShutdown`, then its socket closes. */
  shutdown(): void {
    this.#unsubscribe()
    for (const timer of this.#timers) clearInterval(timer)
    for (const client of this.#clients) {
      this.#send(client, this.envelope('DaemonShutdown', {}))
      client.socket.close(1001, 'daemon shutting down')
    }
  }

  #onBus(message: BusMessage): void {
    // A hook's `stream` action: its payload, as `HookFired`.
    if (message.type === 'hook') {
      this.broadcast(this.envelope('HookFired', message.payload))
      return
    }
    if (message.type === 'import') {
      this.broadcast(this.envelope('ImportProgress', message.job))
      return
    }
    // Frames are not on the live stream (their entries are sync's).
    if (message.type === 'screenshots') return
    const pending: Pending =
      message.type === 'changes'
        ? { kind: 'changes', changes: message.changes }
        : {
            kind: 'envelope',
            envelope: this.envelope('InputSample', { samples: message.samples.map(sampleToWire) }),
          }
    for (const client of this.#clients) this.#deliver(client, pending)
  }

  #deliver(client: StreamClient, pending: Pending): void {
    if (client.replayQueue) {
      if (client.replayQueue.length >= this.#options.maxReplayQueue) {
        this.#drop(client, 'too much arrived during the replay')
        return
      }
      client.replayQueue.push(pending)
      return
    }
    if (pending.kind === 'envelope') this.#send(client, pending.envelope)
    else this.#sendChanges(client, pending.changes)
  }

  /** Envelopes of a committed batch, with their text, made once for every client. */
  readonly #encoded = new WeakMap<readonly Change[], { envelope: Envelope; text: string }[]>()

  #sendChanges(client: StreamClient, changes: readonly Change[]): void {
    if (changes.length === 0) return
    // A client that asked for none of the change envelopes (an import's progress bar) costs no
    // encoding: a large import's batches would otherwise be turned to text for nobody.
    if (client.types && !CHANGE_TYPES.some((t) => client.types?.has(t))) return
    let encoded = this.#encoded.get(changes)
    if (!encoded) {
      encoded = changesToEnvelopes(changes, (type, payload) => this.envelope(type, payload)).map(
        (envelope) => ({ envelope, text: JSON.stringify(envelope) }),
      )
      this.#encoded.set(changes, encoded)
    }
    for (const { envelope, text } of encoded) this.#send(client, envelope, text)
  }

  #send(client: StreamClient, envelope: Envelope, text?: string): void {
    if (client.dropped || client.socket.readyState !== 1) return
    if (client.types && !client.types.has(envelope.type) && !LIFECYCLE.has(envelope.type)) return
    if (client.socket.bufferedAmount > this.#options.maxBufferedBytes) {
      this.#drop(client, 'client too slow: its unread messages passed the limit')
      return
    }
    client.socket.send(text ?? JSON.stringify(envelope))
  }

  /** 1013 ("try again later"): the client may reconnect with `after=` and catch up. */
  #drop(client: StreamClient, reason: string): void {
    if (client.dropped) return
    client.dropped = true
    this.#clients.delete(client)
    client.socket.close(1013, reason)
    // A peer that does not read will not complete the closing handshake either.
    setTimeout(() => client.socket.terminate(), this.#options.dropGraceMs).unref()
  }

  #heartbeat(): void {
    for (const client of this.#clients) {
      if (!client.alive) {
        this.#clients.delete(client)
        client.socket.terminate()
        continue
      }
      client.alive = false
      client.socket.ping()
    }
  }

  async #status(): Promise<unknown> {
    try {
      return await this.#options.status()
    } catch (err) {
      this.#options.onError?.(err)
      return { error: 'status unavailable' }
    }
  }

  async #statusToAll(): Promise<void> {
    if (this.#clients.size === 0) return
    this.broadcast(this.envelope('status', await this.#status()))
  }

  /** Client → server frames: `{"command": "ping" | "status" | "subscribe", "id"?}`. */
  async #command(client: StreamClient, data: RawData, isBinary: boolean): Promise<void> {
    let command: { command?: unknown; id?: unknown; correlation_id?: unknown; types?: unknown }
    try {
      if (isBinary) throw new Error('binary')
      command = JSON.parse(rawText(data)) as typeof command
      if (typeof command !== 'object' || command === null) throw new Error('not an object')
    } catch {
      this.#reply(
        client,
        'error',
        { message: 'send JSON text frames: {"command": "ping" | "status" | "subscribe"}' },
        null,
      )
      return
    }
    const id =
      typeof command.correlation_id === 'string'
        ? command.correlation_id
        : typeof command.id === 'string'
          ? command.id
          : null
    switch (command.command) {
      case 'ping':
        this.#reply(client, 'pong', {}, id)
        return
      case 'status':
        this.#reply(client, 'status', await this.#status(), id)
        return
      case 'subscribe': {
        const types = command.types
        if (
          types !== null &&
          !(Array.isArray(types) && types.every((t) => typeof t === 'string'))
        ) {
          this.#reply(
            client,
            'error',
            { message: 'subscribe takes "types": a list of envelope types, or null for all' },
            id,
          )
          return
        }
        client.types = types === null ? null : new Set(types)
        this.#reply(client, 'subscribed', { types }, id)
        return
      }
      default:
        this.#reply(
          client,
          'error',
          {
            message: `unknown command ${JSON.stringify(command.command)}; use ping, status or subscribe`,
          },
          id,
        )
    }
  }

  /** Answers are sent whatever the client subscribed to. */
  #reply(client: StreamClient, type: string, payload: unknown, id: string | null): void {
    if (client.socket.readyState === 1)
      client.socket.send(JSON.stringify(this.envelope(type, payload, id)))
  }
}

function sampleToWire(s: InputSample) {
  return {
    bucket_ms: s.bucketMs,
    source: s.source,
    device: s.device,
    lc: s.lc,
    rc: s.rc,
    mc: s.mc,
    kp: s.kp,
    mm: s.mm,
    scroll: s.scroll,
  }
}

/** The envelope types `changesToEnvelopes` makes. */
const CHANGE_TYPES = [
  'EventsInserted',
  'EventsDeleted',
  'AfkChanged',
  'LabelDeleted',
  'LabelCreated',
  'LabelUpdated',
  'SettingsChanged',
  'DevicesChanged',
] as const

/** A batch of changes as stream envelopes: one per kind of change, labels one each. */
function changesToEnvelopes(
  changes: readonly Change[],
  envelope: (type: string, payload: unknown) => Envelope,
): Envelope[] {
  const out: Envelope[] = []
  const of = (kind: Change['kind'], op: Change['op']) =>
    changes.filter((c) => c.kind === kind && c.op === op)
  const wire = (c: Change) => ({ seq: c.seq, ...(changeToWire(c).data as object) })
  const inserted = of('event', 'upsert')
  if (inserted.length > 0) out.push(envelope('EventsInserted', { events: inserted.map(wire) }))
  const deleted = of('event', 'delete')
  if (deleted.length > 0) out.push(envelope('EventsDeleted', { events: deleted.map(wire) }))
  const afk = changes.filter((c) => c.kind === 'afk')
  if (afk.length > 0) {
    out.push(envelope('AfkChanged', { periods: afk.map((c) => ({ op: c.op, ...wire(c) })) }))
  }
  for (const c of changes) {
    if (c.kind !== 'label') continue
    if (c.op === 'delete') out.push(envelope('LabelDeleted', { seq: c.seq, id: c.id }))
    else {
      const created = c.created ?? c.label.createdMs === c.label.updatedMs
      out.push(envelope(created ? 'LabelCreated' : 'LabelUpdated', { label: wire(c) }))
    }
  }
  const settings = changes.filter((c) => c.kind === 'setting')
  if (settings.length > 0) out.push(envelope('SettingsChanged', { settings: settings.map(wire) }))
  const devices = changes.filter((c) => c.kind === 'device')
  if (devices.length > 0) out.push(envelope('DevicesChanged', { devices: devices.map(wire) }))
  return out
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8')
  return data.toString('utf8')
}
