/**
 * Which listener a request came through. Requests over the Unix socket come from the socket's
 * owner only (the socket is 0600): they carry no client address and no meaningful Host header.
 */
import type { IncomingMessage } from 'node:http'
import type { FastifyRequest } from 'fastify'

const overUnixSocket = new WeakSet<IncomingMessage>()

/** Marks a request as received on the Unix socket; the socket server calls it for each request. */
export function markUnixSocketRequest(req: IncomingMessage): void {
  overUnixSocket.add(req)
}

/** True when the request arrived over the Unix socket. */
export function isUnixSocketRequest(request: FastifyRequest): boolean {
  return overUnixSocket.has(request.raw)
}

/** True for a request that asks to become a WebSocket. */
export function isUpgrade(headers: Record<string, unknown>): boolean {
  const upgrade = headers.upgrade
  return typeof upgrade === 'string' && upgrade.toLowerCase() === 'websocket'
}

const authenticated = new WeakSet<IncomingMessage>()
const reserved = new WeakSet<object>()

/** Notes that a request presented a valid token (the connection limits keep its connection). */
export function markAuthenticated(req: IncomingMessage): void {
  authenticated.add(req)
}

/** True when the request presented a valid token. */
export function isAuthenticated(req: IncomingMessage): boolean {
  return authenticated.has(req)
}

/**
 * Marks a connection let in from the reserve kept for token holders (every slot was taken): a
 * request on it must present a valid token.
 */
export function markReservedConnection(socket: object): void {
  reserved.add(socket)
}

/** True when the request came on a connection let in from the token reserve. */
export function onReservedConnection(req: IncomingMessage): boolean {
  return reserved.has(req.socket)
}
