/**
 * The collectors at work: `startCollectors(config)` opens the platform sources of the collectors
 * asked for, wires each to its outbox and courier, runs their loops and reports their state
 * every few seconds (`config/watch-status.ts`) until `stop()`, which ends them after a last send. The
 * process around it (signals, exit codes) is `daybook watch`'s.
 */
import path from 'node:path'
import type { WatchConfig } from '../config/watch-config.ts'
import { AfkTracker, type AfkPeriodInput } from './afk/tracker.ts'
import { Courier, jsonArrayDelivery } from './core/courier.ts'
import { lockSpoolDir, spoolDir } from './core/lock.ts'
import { Outbox } from './core/outbox.ts'
import { type CollectorStatus, watchStatusFile, writeWatchStatus } from '../config/watch-status.ts'
import { DesktopWatcher } from './desktop-watcher.ts'
import { InputCollector } from './input/collector.ts'
import { type InputItem, readInputSpoolV1 } from './input/deliveries.ts'
import { openDesktop } from './platform/desktop.ts'
import { uiohookSource } from './platform/uiohook.ts'
import { type Connector, daybookTarget, inputRoute } from './targets.ts'
import { WindowTracker, type WindowEvent } from './window/tracker.ts'
import { count } from '../domain/words.ts'

/** How often the running collectors rewrite their status report. */
const REPORT_EVERY_MS = 2000

/** A collector that cannot start: its one line for the user. */
export class CollectorError extends Error {}

/** Running collectors. */
export interface Collectors {
  /** Ends every collector after a last send, writes the last report, releases the spool. */
  stop(): Promise<void>
}

/** A running collector: `stop()` ends it after a last send. */
interface Running {
  stop(): Promise<void>
  status(): CollectorStatus[]
}

/**
 * Starts the collectors `config` asks for; rejects with `CollectorError` when one cannot start
 * (nothing is left running then). `env` is the platform's: the X display, the hook's needs;
 * `connect` opens connections to where they send.
 */
export async function startCollectors(
  config: WatchConfig,
  env: NodeJS.ProcessEnv,
  connect: Connector,
): Promise<Collectors> {
  let release = () => {}
  if (!config.dryRun) {
    try {
      release = lockSpoolDir(config.dataDir)
    } catch (err) {
      throw new CollectorError((err as Error).message)
    }
  }
  const running: Running[] = []
  try {
    if (config.window || config.afk) running.push(await startDesktop(config, env, connect))
    if (config.input && !config.dryRun) running.push(await startInput(config, env, connect))
  } catch (err) {
    for (const r of running) await r.stop()
    release()
    throw err
  }
  const statusFile = watchStatusFile(config.dataDir)
  const report = () => {
    try {
      writeWatchStatus(statusFile, {
        pid: process.pid,
        target: config.url ?? `the daybook daemon of ${config.dataDir}`,
        updatedAt: new Date().toISOString(),
        collectors: running.flatMap((r) => r.status()),
      })
    } catch {
      // A status report is a courtesy; recording goes on without it.
    }
  }
  report()
  const reporter = setInterval(report, REPORT_EVERY_MS)
  return {
    async stop() {
      clearInterval(reporter)
      for (const r of running) await r.stop()
      report()
      release()
    },
  }
}

/** One collector's line in the status report: what waits in its outbox, what its courier sent. */
function collectorStatus<T>(
  collector: CollectorStatus['collector'],
  state: string,
  outbox: Outbox<T>,
  courier: Courier<T>,
  last: string | null,
): CollectorStatus {
  const sent = courier.lastSentMs
  return {
    collector,
    state,
    waiting: outbox.size,
    delivered: courier.delivered,
    lastSentAt: sent === undefined ? null : new Date(sent).toISOString(),
    last,
  }
}

/** Starts the input collector on the keyboard and mouse hook. */
async function startInput(
  config: WatchConfig,
  env: NodeJS.ProcessEnv,
  connect: Connector,
): Promise<Running> {
  const log = (line: string) => process.stderr.write(`daybook watch input: ${line}\n`)
  const outbox = new Outbox<InputItem>(
    path.join(spoolDir(config.dataDir), 'input.json'),
    log,
    readInputSpoolV1,
  )
  const route = inputRoute(config, env, connect)
  const collector = new InputCollector({
    outbox,
    delivery: route.delivery,
    client: route.client,
    target: route.name,
    clock: Date.now,
    flushMs: config.flushMs,
    log,
    verbose: config.verbose,
  })
  const source = uiohookSource(env)
  try {
    await source.start((kind, n) => collector.record(kind, n))
  } catch (err) {
    throw new CollectorError(`cannot watch input: ${(err as Error).message}`)
  }
  log(
    `counting input; sending to ${route.name} every ${config.flushMs / 1000} s` +
      (outbox.size > 0 ? `; ${count(outbox.size, 'bucket')} from the spool first` : ''),
  )
  if (outbox.size > 0) await collector.flush()
  const timer = setInterval(() => void collector.tick(), config.sampleMs)
  const { courier } = collector
  return {
    status: () => [
      collectorStatus(
        'input',
        courier.failures > 0 ? 'retrying' : 'sending',
        outbox,
        courier,
        null,
      ),
    ],
    async stop() {
      clearInterval(timer)
      await source.stop()
      const empty = await collector.stop()
      log(
        empty
          ? 'stopped; every count was sent'
          : `stopped; ${count(outbox.size, 'bucket')} wait in ${outbox.file} for the next start`,
      )
    },
  }
}

/** Starts the window and AFK watchers (those asked for) on this desktop. */
async function startDesktop(
  config: WatchConfig,
  env: NodeJS.ProcessEnv,
  connect: Connector,
): Promise<Running> {
  const log = (line: string) => process.stderr.write(`daybook watch: ${line}\n`)
  let source
  try {
    source = await openDesktop(env)
  } catch (err) {
    throw new CollectorError(`cannot watch the desktop: ${(err as Error).message}`)
  }
  const { client, name: target, base } = daybookTarget(config, env, connect)
  const spool = spoolDir(config.dataDir)
  const courier = <T>(outbox: Outbox<T>, route: string, what: string, unit: string) =>
    new Courier<T>({
      outbox,
      delivery: jsonArrayDelivery<T>(`${base}${route}`),
      client,
      target,
      what,
      unit,
      clock: Date.now,
      log,
    })
  const windowOutbox = new Outbox<WindowEvent>(path.join(spool, 'window.json'), log)
  const afkOutbox = new Outbox<AfkPeriodInput>(path.join(spool, 'afk.json'), log)
  const watcher = new DesktopWatcher({
    source,
    clock: Date.now,
    log,
    window: config.window
      ? {
          tracker: new WindowTracker(config.privacy),
          outbox: windowOutbox,
          courier: courier(windowOutbox, '/v1/events', 'window events', 'event'),
        }
      : undefined,
    afk: config.afk
      ? {
          tracker: new AfkTracker(config.afkTimeoutMs),
          outbox: afkOutbox,
          courier: courier(afkOutbox, '/v1/afk', 'AFK periods', 'period'),
        }
      : undefined,
    dryRun: config.dryRun
      ? (kind, item) => process.stdout.write(`${JSON.stringify({ [kind]: item })}\n`)
      : undefined,
  })
  source.onChange(() => void watcher.tick())
  const sampler = setInterval(() => void watcher.tick(), config.sampleMs)
  const sender = config.dryRun
    ? undefined
    : setInterval(() => void watcher.flush(), Math.min(config.flushMs, 10_000))
  await watcher.tick()
  const watching = [
    config.window ? 'the focused window' : '',
    config.afk ? `time away (after ${config.afkTimeoutMs / 1000} s without input)` : '',
  ]
  log(
    `watching ${watching.filter(Boolean).join(' and ')}` +
      (config.dryRun ? '; --dry-run: printing instead of sending' : `; sending to ${target}`),
  )
  if (!config.dryRun) await watcher.flush(true)
  const windowCourier = watcher.couriers.window
  const afkCourier = watcher.couriers.afk
  return {
    status: () => {
      const state = watcher.away ? 'away' : 'watching'
      const rows: CollectorStatus[] = []
      if (config.window && windowCourier) {
        const e = watcher.lastEvent
        const last = e ? `${e.app_name}: ${e.entity_name} until ${e.end_timestamp}` : null
        rows.push(collectorStatus('window', state, windowOutbox, windowCourier, last))
      }
      if (config.afk && afkCourier) {
        const p = watcher.lastAfk
        const last = p ? `away from ${p.afk_start}${p.afk_end ? ` to ${p.afk_end}` : ''}` : null
        rows.push(collectorStatus('afk', state, afkOutbox, afkCourier, last))
      }
      return rows
    },
    async stop() {
      clearInterval(sampler)
      if (sender) clearInterval(sender)
      await watcher.stop()
      source.close()
      const left = windowOutbox.size + afkOutbox.size
      const sent = `${count(windowCourier?.delivered ?? 0, 'window event')} and ${count(afkCourier?.delivered ?? 0, 'AFK update')} sent`
      log(
        left === 0
          ? `stopped; ${sent}, nothing left`
          : `stopped; ${sent}, ${count(left, 'item')} wait in ${spool}`,
      )
    },
  }
}
