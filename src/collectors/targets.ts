/**
 * Where the collectors send, and in which wire: the local daemon (found through its discovery
 * file at every attempt) or another server (`--url`); input counts in Daybook's format or the
 * frames protocol's.
 */
import type { WatchConfig } from '../config/watch-config.ts'
import type { Connection, Delivery } from './core/courier.ts'
import { type InputItem, daybookInputDelivery, framesDelivery } from './input/deliveries.ts'

/** What the input collector calls itself when sending. */
const INPUT_SOURCE = 'daybook-input'

/** Where the collectors send: a client per attempt and how log lines name it. */
export interface SendTarget {
  /**
   * Makes the client for one attempt: the local daemon is looked up through its daemon.json
   * each time, so the watcher may start first and survives daemon restarts (new port, new token).
   */
  client: () => Connection
  /** Describes the target in log lines. */
  name: string
  /** Path prefix of the Daybook API on that server (`''` for the local daemon). */
  base: string
}

/** How collectors open connections: the typed client's constructors, handed in by the CLI. */
export interface Connector {
  /** The daemon of a data dir, found through its discovery file (its token from the config dir). */
  local(options: {
    dataDir: string
    configDir: string
    token: string | undefined
    env: NodeJS.ProcessEnv
  }): Connection
  /** A server at `origin`, with a bearer token or none. */
  remote(origin: string, token?: string): Connection
}

/** The Daybook server a configuration sends to: the local daemon, or `--url`. */
export function daybookTarget(
  config: WatchConfig,
  env: NodeJS.ProcessEnv,
  connect: Connector,
): SendTarget {
  if (config.url === undefined) {
    return {
      client: () =>
        connect.local({
          dataDir: config.dataDir,
          configDir: config.configDir,
          token: config.key ?? config.token,
          env,
        }),
      name: `the daybook daemon of ${config.dataDir}`,
      base: '',
    }
  }
  const parsed = new URL(config.url)
  const base = parsed.pathname.replace(/\/+$/, '')
  const token = config.key ?? config.token
  return {
    client: () => connect.remote(parsed.origin, token),
    name: `${parsed.origin}${base}`,
    base,
  }
}

/** Where and how input counts go, in the format the configuration asks for. */
export function inputRoute(
  config: WatchConfig,
  env: NodeJS.ProcessEnv,
  connect: Connector,
): SendTarget & { delivery: Delivery<InputItem> } {
  if (config.format === 'daybook' || config.url === undefined) {
    const target = daybookTarget(config, env, connect)
    const delivery =
      config.format === 'daybook'
        ? daybookInputDelivery(`${target.base}/v1/input`, INPUT_SOURCE)
        : framesDelivery('/v1/frames', INPUT_SOURCE, undefined)
    return { ...target, delivery }
  }
  // A frames server elsewhere: the raw key in Authorization, no bearer token.
  const parsed = new URL(config.url)
  const framesPath =
    parsed.pathname === '/' || parsed.pathname === ''
      ? '/frames'
      : `${parsed.pathname}${parsed.search}`
  return {
    client: () => connect.remote(parsed.origin),
    name: `${parsed.origin}${framesPath}`,
    base: '',
    delivery: framesDelivery(framesPath, INPUT_SOURCE, config.key ?? config.token),
  }
}
