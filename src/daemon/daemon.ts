/**
 * The daemon apart from the process: `startDaemon(config)` starts it and resolves, once it is
 * ready, to a handle whose `close()` stops it. Signals, exit codes and the console are the
 * caller's (`daybook serve`); tests start it in-process.
 *
 * Start-up, in order:
 *  1. the data dir: there, private, held by this daemon alone; the database files made private;
 *  2. the store opens in its threads while this one reads the token and builds the API;
 *  3. the listeners (TCP, the Unix socket): probes answer, `/readyz` says 503;
 *  4. migrations, then the store is the app's (input retention starts): `/readyz` says 200;
 *  5. ActivityWatch's listener (`--aw`);
 *  6. the announcements: `daemon.json`, then mDNS.
 * Each step registers how it is undone; a failing step undoes those before it, and `close()`
 * undoes them all, in reverse order: withdraw the announcements, stop listening, let requests in
 * flight finish, close the store, release the data dir.
 */
import type http from 'node:http'
import type { DaybookApp } from '../api/app.ts'
import type { AwListener } from '../api/compat/activitywatch/listener.ts'
import type { DaemonConfig } from '../config/daemon-config.ts'
import { removeDiscovery, writeDiscovery } from '../config/discovery.ts'
import { DaybookError } from '../domain/errors.ts'
import { openStore } from '../store/open.ts'
import type { Store } from '../store/ports.ts'
import { DAYBOOK_VERSION } from '../version.ts'
import { buildDaemonApi } from './api.ts'
import { hubCertificate, hubIdentity } from './hub.ts'
import { ConnectionGate } from './connection-limits.ts'
import { holdDataDir, prepareDataDir, restrictDatabaseMode } from './data-dir.ts'
import { closeServer, listenAw, listenSocket, listenTcp } from './listeners.ts'
import { startMdns } from './mdns.ts'
import { StartError } from './start-error.ts'
import type { StartupTimes } from '../services/status.ts'

export interface DaemonOptions {
  /** Where warnings for the person who started it go (default: stderr, `daybook serve: …`). */
  warn?: (line: string) => void
  /**
   * A store thread that died: the daemon can no longer keep what it acknowledges. Default: say
   * so and exit 1, for the service manager to restart it.
   */
  onStoreFailure?: (err: Error) => void
}

/** A running daemon. */
export interface Daemon {
  app: DaybookApp
  config: DaemonConfig
  /** The bound TCP port (when listening on TCP). */
  port: number | undefined
  /** The ActivityWatch listener's port (with `--aw`). */
  awPort: number | undefined
  /** A hub's URL for devices and its certificate's fingerprint (with `--hub`). */
  hub: { url: string; fingerprint: string | undefined } | undefined
  /** Stops the daemon in reverse start-up order; resolves when everything is closed. */
  close(): Promise<void>
}

/** Starts the daemon; rejects with a `StartError` for every foreseeable start-up failure. */
export async function startDaemon(
  config: DaemonConfig,
  options: DaemonOptions = {},
): Promise<Daemon> {
  const warn = options.warn ?? ((line) => process.stderr.write(`daybook serve: ${line}\n`))
  const started = new UndoStack()
  // Where the start goes, for /v1/status: performance.now() counts from this process's start.
  const marks: number[] = [performance.now()]
  const mark = () => marks.push(performance.now())
  try {
    // 1. The data dir.
    prepareDataDir(config.dataDir)
    const lock = holdDataDir(config.dataDir)
    started.push(() => lock.release())
    if (config.database === undefined) restrictDatabaseMode(config.dbPath, warn)

    // 2. The store and the API, side by side. Once attached, the app closes the store itself;
    // closing it again is harmless.
    const opening = openDatabase(config, options.onStoreFailure ?? exitOnStoreFailure)
    opening.catch(() => undefined) // awaited below, or closed when a step before fails
    started.push(() =>
      opening.then(
        (store) => store.close(),
        () => undefined,
      ),
    )
    const tls = await hubCertificate(config)
    const { app, authenticator, handler } = await buildDaemonApi(config, tls)
    mark()
    // Both listeners stop accepting at once, then requests in flight (WebSockets over the socket
    // included) finish while the app closes: the socket server is closed alongside the app.
    let socketServer: http.Server | undefined
    started.push(async () => {
      const closing = socketServer === undefined ? undefined : closeServer(socketServer)
      await app.close()
      await closing
    })
    const store = await opening
    mark()

    // 3. The listeners.
    const gate = new ConnectionGate(config.connectionLimits)
    const port = config.tcp ? await listenTcp(app, config, warn, gate) : undefined
    if (config.socket !== undefined) {
      socketServer = await listenSocket(config.socket, handler, app, config)
    }
    if (config.hub && port !== undefined) {
      app.daybook.syncHub.enable(hubIdentity(config, port, tls))
    }

    // 4. Migrations; then the app has the store and is ready.
    try {
      await store.migrate()
    } catch (err) {
      throw new StartError(`cannot migrate ${store.location}: ${(err as Error).message}`)
    }
    mark()
    await app.daybook.attachStore(store)
    mark()
    // Every user's diary opens (and migrates) with the owner's: a token of any of them works
    // from the first request on.
    try {
      await app.users.load()
    } catch (err) {
      throw new StartError(`cannot open the users' diaries: ${(err as Error).message}`)
    }
    mark()
    app.daybook.startup = startupTimes(marks)
    if (config.ingestKey !== undefined && config.ingestKey.length < 16) {
      app.log.warn(
        'SERVER_API_KEY is shorter than 16 characters; anyone who guesses it can write input counts',
      )
    }

    // 5. ActivityWatch's API.
    let aw: AwListener | undefined
    if (config.aw) {
      aw = await listenAw(app, config, authenticator, port, warn, gate)
      const listener = aw
      started.push(() => listener.close())
    }

    // 6. Announced: clients on this machine find it, then the network does.
    writeDiscovery(config.dataDir, {
      pid: process.pid,
      host: config.tcp ? config.host : null,
      port: port ?? null,
      socket: config.socket ?? null,
      version: DAYBOOK_VERSION,
      startedAt: new Date().toISOString(),
    })
    started.push(() => removeDiscovery(config.dataDir))
    const mdns = config.mdns ? await startMdns(app, config.host, port) : undefined
    if (mdns) started.push(() => mdns.stop())

    let closing: Promise<void> | undefined
    return {
      app,
      config,
      port,
      awPort: aw?.port,
      hub: app.daybook.syncHub.identity,
      close: () => (closing ??= started.undo()),
    }
  } catch (err) {
    // The start's own failure is the one to report; undoing goes as far as it can.
    await started.undo().catch(() => undefined)
    throw err
  }
}

/** What has been started, undone in reverse order. */
class UndoStack {
  readonly #steps: (() => unknown)[] = []

  push(undo: () => unknown): void {
    this.#steps.push(undo)
  }

  /** Runs every undo step, last first; the first failure is thrown once all have run. */
  async undo(): Promise<void> {
    let failure: Error | undefined
    for (let step = this.#steps.pop(); step !== undefined; step = this.#steps.pop()) {
      try {
        await step()
      } catch (err) {
        failure ??= err instanceof Error ? err : new Error(String(err))
      }
    }
    if (failure !== undefined) throw failure
  }
}

async function openDatabase(config: DaemonConfig, onFailure: (err: Error) => void): Promise<Store> {
  const file = config.dbPath
  try {
    if (config.database !== undefined) {
      const { url, poolSize, statementTimeoutMs, schema } = config.database
      return await openStore({ driver: 'postgres', url, poolSize, statementTimeoutMs, schema })
    }
    return await openStore({ driver: 'sqlite', file, onFailure })
  } catch (err) {
    // The PostgreSQL store's own messages are one line naming the server, without the password.
    if (err instanceof DaybookError || config.database !== undefined) {
      throw new StartError((err as Error).message)
    }
    throw new StartError(`cannot open database ${file}: ${(err as Error).message}`)
  }
}

function exitOnStoreFailure(err: Error): void {
  process.stderr.write(`daybook serve: the database worker failed: ${err.message}\n`)
  process.exit(1)
}

/** The start's marks (entry, API built, store open, migrated, attached, users open) as phases. */
function startupTimes(m: number[]): StartupTimes {
  const at = (i: number) => m[i] ?? Number.NaN
  const ms = (n: number) => Math.round(n * 10) / 10
  return {
    loadMs: ms(at(0)),
    apiMs: ms(at(1) - at(0)),
    storeMs: ms(Math.max(0, at(2) - at(1))),
    migrateMs: ms(at(3) - at(2)),
    attachMs: ms(at(4) - at(3)),
    usersMs: ms(at(5) - at(4)),
    readyMs: ms(at(5)),
  }
}
