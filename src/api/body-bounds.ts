/**
 * Request bodies a route reads under its own bound instead of the server's whole-request timeout
 * (DAYBOOK_REQUEST_TIMEOUT_SEC). An import of years of history may take longer to upload than any
 * fixed total, so its route (`config.ownBodyBound`) reads the body with an idle bound between
 * chunks and a size cap of its own (`src/api/exchange/upload.ts`).
 *
 * Node's server checks the request timeout itself and reports an expired request as a client
 * error (`ERR_HTTP_REQUEST_TIMEOUT`), once per request, to the `clientError` listener, which is
 * responsible for closing the connection: `answerClientError` leaves it open when the request's
 * route bounds its own body. Every other client error is answered as before (408, 431 or 400)
 * and the connection closed.
 */
import type { FastifyInstance } from 'fastify'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { clientErrorResponse } from './errors.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route reads its body under its own bounds (an idle timeout and a size cap), not the
     * server's whole-request timeout.
     */
    ownBodyBound?: boolean
  }
}

/** A request of such a route in flight on a connection. */
interface OwnBound {
  /** The server's request timeout has passed for it (Node checks no further). */
  expired: boolean
}

const inFlight = new WeakMap<Socket, OwnBound>()

/**
 * Marks requests of routes that bound their own bodies, from the moment the route is known (before
 * the Host check and authentication, which may take a moment on a loaded machine). Install before
 * every other `onRequest` hook.
 *
 * Why refused requests are then cut off: the server's timeout no longer applies to one whose time
 * ran out while it was checked, so a request answered before its body was read (no token, a bad
 * query) closes its connection as soon as it is answered. Only a request the route goes on to read
 * outlives the server's timeout, and the route's own bounds hold it.
 */
export function installBodyBounds(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    if (request.is404 || request.routeOptions.config.ownBodyBound !== true) {
      done()
      return
    }
    const socket = request.raw.socket
    const state: OwnBound = { expired: false }
    inFlight.set(socket, state)
    reply.raw.once('close', () => {
      if (inFlight.get(socket) === state) inFlight.delete(socket)
      if (state.expired && !request.raw.complete) socket.destroy()
    })
    done()
  })
}

/**
 * The server's `clientError` handler (Fastify's `clientErrorHandler`, and the Unix socket
 * listener's through it): a request timeout of a request whose route bounds its own body is left
 * to the route; anything else is answered with its status and the connection closed.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  // A reset connection is gone already: there is nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const own = inFlight.get(socket)
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && own !== undefined) {
    own.expired = true
    return
  }
  const { status, body } = clientErrorResponse(err.code)
  const text = JSON.stringify(body)
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; ` +
        `charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    )
  }
  socket.destroy(err)
}
