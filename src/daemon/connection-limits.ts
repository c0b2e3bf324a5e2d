/**
 * The connection limits (`config/connection-limits.ts`) applied to the daemon's TCP listeners,
 * one budget across all of them (the API and ActivityWatch's).
 *
 * Why not simply refuse connections beyond a cap: then any local process, without a token, could
 * hold every slot with idle sockets (64 from 127.0.0.1 locked out every local client; a thousand
 * spread over 127.0.0.2–31 locked out everyone). Instead, when a cap is reached:
 *  1. a connection that has not sent a whole request within the grace period is closed to make
 *     room (the oldest first), then an idle keep-alive connection (those whose last request
 *     presented no valid token first): closing either loses nothing;
 *  2. when every connection is busy or still within its grace, the new one comes in from a small
 *     reserve: a request on it must present a valid token (else 503, and the connection closes
 *     after the answer); a full reserve makes room by closing its oldest connection that has not
 *     yet shown a token.
 * A connection with a valid token's request in flight is never closed. So a client with a valid
 * token always gets through, and a flood can only keep out those without one. The Unix socket
 * needs no slot at all.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { ConnectionLimits } from '../config/connection-limits.ts'
import { isAuthenticated, markReservedConnection } from '../api/transport.ts'

interface Tracked {
  socket: Socket
  address: string
  openedMs: number
  /** The latest request whose head arrived; undefined until the first one. */
  request: IncomingMessage | undefined
  /** Requests answered not yet (pipelining allows several), or an upgraded connection. */
  inFlight: number
  upgraded: boolean
  idleSinceMs: number
  reserved: boolean
}

/** Why a connection may be closed to make room, most closable first; undefined: it may not be. */
function closability(t: Tracked, now: number, graceMs: number): number | undefined {
  if (t.request === undefined) return now - t.openedMs >= graceMs ? 0 : undefined
  if (t.inFlight > 0 || t.upgraded) return undefined
  return isAuthenticated(t.request) ? 2 : 1
}

export class ConnectionGate {
  readonly #limits: ConnectionLimits
  readonly #clock: () => number
  readonly #tracked = new WeakMap<Socket, Tracked>()
  /** Connections in the ordinary slots, oldest first; and per address. */
  readonly #slots = new Set<Tracked>()
  readonly #byAddress = new Map<string, Set<Tracked>>()
  /** Connections let in from the token reserve, oldest first. */
  readonly #reserve = new Set<Tracked>()

  constructor(limits: ConnectionLimits, clock: () => number = Date.now) {
    this.#limits = limits
    this.#clock = clock
  }

  /** Applies the limits to a server (before it listens). */
  watch(server: Server): void {
    server.on('connection', (socket: Socket) => this.#admit(socket))
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#request(req, res))
    server.on('upgrade', (req: IncomingMessage) => {
      const t = this.#tracked.get(req.socket)
      if (t) {
        t.request = req
        t.upgraded = true
      }
    })
  }

  /** Open connections: in the ordinary slots, and from the reserve. */
  get counts(): { slots: number; reserve: number } {
    return { slots: this.#slots.size, reserve: this.#reserve.size }
  }

  #admit(socket: Socket): void {
    const now = this.#clock()
    const t: Tracked = {
      socket,
      address: socket.remoteAddress ?? '',
      openedMs: now,
      request: undefined,
      inFlight: 0,
      upgraded: false,
      idleSinceMs: now,
      reserved: false,
    }
    this.#tracked.set(socket, t)
    socket.once('close', () => this.#forget(t))
    const { perAddress, total, tokenReserve } = this.#limits
    const fromAddress = this.#byAddress.get(t.address)
    let room =
      (fromAddress === undefined ||
        fromAddress.size < perAddress ||
        this.#closeOne(fromAddress, now)) &&
      (this.#slots.size < total || this.#closeOne(this.#slots, now))
    if (room) {
      this.#slots.add(t)
      let set = this.#byAddress.get(t.address)
      if (!set) this.#byAddress.set(t.address, (set = new Set()))
      set.add(t)
      return
    }
    room = this.#reserve.size < tokenReserve || this.#closeOldestUnproven()
    if (!room) {
      this.#tracked.delete(socket)
      socket.destroy()
      return
    }
    t.reserved = true
    markReservedConnection(socket)
    this.#reserve.add(t)
  }

  /** Closes the most closable connection of `set`; false when none may be closed. */
  #closeOne(set: Set<Tracked>, now: number): boolean {
    let best: Tracked | undefined
    let bestRank = Infinity
    let bestSince = Infinity
    for (const t of set) {
      const rank = closability(t, now, this.#limits.graceMs)
      if (rank === undefined) continue
      // Within a rank, the one waiting longest.
      const since = rank === 0 ? t.openedMs : t.idleSinceMs
      if (rank < bestRank || (rank === bestRank && since < bestSince)) {
        best = t
        bestRank = rank
        bestSince = since
      }
    }
    if (!best) return false
    this.#close(best)
    return true
  }

  /** Makes room in the reserve: its oldest connection that has not shown a token. */
  #closeOldestUnproven(): boolean {
    for (const t of this.#reserve) {
      const proven = t.request !== undefined && isAuthenticated(t.request)
      if (!proven || (t.inFlight === 0 && !t.upgraded)) {
        this.#close(t)
        return true
      }
    }
    return false
  }

  #request(req: IncomingMessage, res: ServerResponse): void {
    const t = this.#tracked.get(req.socket)
    if (!t) return
    t.request = req
    t.inFlight++
    res.once('close', () => {
      t.inFlight--
      t.idleSinceMs = this.#clock()
      // A reserve connection is kept only for what a valid token asks.
      if (t.reserved && !isAuthenticated(req)) t.socket.end()
    })
  }

  #close(t: Tracked): void {
    this.#forget(t)
    t.socket.destroy()
  }

  #forget(t: Tracked): void {
    if (t.reserved) {
      this.#reserve.delete(t)
      return
    }
    this.#slots.delete(t)
    const set = this.#byAddress.get(t.address)
    if (set) {
      set.delete(t)
      if (set.size === 0) this.#byAddress.delete(t.address)
    }
  }
}
