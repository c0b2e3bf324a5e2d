/**
 * The connection caps (`config/connection-limits.ts`) applied to a TCP listener.
 */
import type { Server } from 'node:http'
import type { ConnectionLimits } from '../config/connection-limits.ts'

/** Applies the limits to a listening server: connections beyond them are closed at once. */
export function limitConnections(server: Server, limits: ConnectionLimits): void {
  server.maxConnections = limits.total
  const open = new Map<string, number>()
  server.on('connection', (socket) => {
    const address = socket.remoteAddress ?? ''
    const count = (open.get(address) ?? 0) + 1
    if (count > limits.perAddress) {
      socket.destroy()
      return
    }
    open.set(address, count)
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1
      if (left <= 0) open.delete(address)
      else open.set(address, left)
    })
  })
}
