/**
 * `<data-dir>/daemon.json`, the discovery file: how clients on this machine find the running
 * daemon. The daemon writes it once it is ready and removes it when it stops; the CLI and the
 * collectors read it at every connection, so they follow a daemon that restarts elsewhere.
 */
import { readFileSync, rmSync, statSync } from 'node:fs'
import { type Static, Type } from '#typebox'
import Schema from '#typebox/schema'
import { writeFileAtomic } from './files.ts'
import { localUrlHost } from './network.ts'
import { dataPaths } from './paths.ts'

/** What `daemon.json` holds. */
export const Discovery = Type.Object({
  pid: Type.Integer({ minimum: 1 }),
  /** The TCP address the daemon is bound to; null without TCP (`--no-tcp`). */
  host: Type.Union([Type.String(), Type.Null()]),
  port: Type.Union([Type.Integer({ minimum: 0, maximum: 65_535 }), Type.Null()]),
  /** The Unix socket's path, or null. */
  socket: Type.Union([Type.String(), Type.Null()]),
  version: Type.String(),
  startedAt: Type.String(),
})
export type Discovery = Static<typeof Discovery>

/** The discovery file of a data dir. */
export function discoveryFile(dataDir: string): string {
  return dataPaths(dataDir).discovery
}

/** Writes the discovery file atomically (mode 0600): a reader sees all of it or nothing. */
export function writeDiscovery(dataDir: string, discovery: Discovery): void {
  writeFileAtomic(discoveryFile(dataDir), `${JSON.stringify(discovery, null, 2)}\n`)
}

/** Removes the discovery file, if there is one. */
export function removeDiscovery(dataDir: string): void {
  rmSync(discoveryFile(dataDir), { force: true })
}

/**
 * The discovery file's content; undefined when there is none. Throws an `Error` naming the file
 * when it cannot be read or is not a discovery file.
 */
export function readDiscovery(dataDir: string): Discovery | undefined {
  const file = discoveryFile(dataDir)
  let text: string
  try {
    // Anything but a regular file is refused unread: reading a FIFO would block the thread.
    if (!statSync(file).isFile()) throw new Error('not a regular file')
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new Error(`cannot read ${file}: ${(err as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = undefined
  }
  if (!Schema.Check(Discovery, parsed)) {
    throw new Error(`${file} is not a daybook discovery file`)
  }
  return parsed
}

/** The daemon's TCP base URL as a client on this machine reaches it; undefined without TCP. */
export function discoveryUrl(discovery: Discovery): string | undefined {
  if (discovery.host === null || discovery.port === null) return undefined
  return `http://${localUrlHost(discovery.host)}:${discovery.port}`
}
