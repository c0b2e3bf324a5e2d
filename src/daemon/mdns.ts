/**
 * Opt-in DNS-SD advertisement of the daemon on the local network: `_daybook._tcp`, with the
 * version and API path in TXT records, withdrawn (goodbye packets) on shutdown. Browsers on the
 * LAN find the daemon without being told its port.
 */
import os from 'node:os'
import type { DaybookApp } from '../api/app.ts'
import { isLoopback } from '../config/network.ts'
import { DAYBOOK_VERSION, PROTOCOL_VERSION } from '../version.ts'

/** The DNS-SD service type, without the leading underscore and protocol: `_daybook._tcp`. */
const MDNS_SERVICE_TYPE = 'daybook'

export interface MdnsOptions {
  port: number
  version: string
  /** Instance name; default "Daybook on <hostname>". */
  name?: string
  /** Failures of the multicast socket: reported, never fatal to the daemon. */
  onError: (err: Error) => void
}

export interface MdnsAdvertisement {
  readonly name: string
  /** Withdraws the service and closes the multicast socket. */
  stop(): Promise<void>
}

/** Starts advertising; the service is announced once its name has been probed on the network. */
async function advertiseDaemon(options: MdnsOptions): Promise<MdnsAdvertisement> {
  // Loaded only with --mdns: the multicast DNS stack is of no use to a daemon that does not advertise.
  const { Bonjour } = await import('bonjour-service')
  const bonjour = new Bonjour({}, (err: Error) => options.onError(err))
  const name = options.name ?? `Daybook on ${os.hostname()}`
  const service = bonjour.publish({
    name,
    type: MDNS_SERVICE_TYPE,
    protocol: 'tcp',
    port: options.port,
    txt: { version: options.version, api: '/v1', protocol: String(PROTOCOL_VERSION) },
  })
  service.on('error', (err: Error) => options.onError(err))
  let stopped: Promise<void> | undefined
  return {
    name,
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        // Goodbye packets (TTL 0) first, so browsers drop the service now, not when it expires.
        bonjour.unpublishAll(() => {
          bonjour.destroy(() => resolve())
        })
      })),
  }
}

/**
 * `--mdns` for a daemon on `host:port`: advertised, with a warning where no other machine can
 * reach it; nothing without a TCP port. Failures are logged, never fatal.
 */
export async function startMdns(
  app: DaybookApp,
  host: string,
  port: number | undefined,
): Promise<MdnsAdvertisement | undefined> {
  if (port === undefined) {
    app.log.warn('--mdns: nothing to advertise without TCP (--no-tcp)')
    return undefined
  }
  if (isLoopback(host)) {
    app.log.warn(`--mdns: listening on ${host}, so only this machine can reach what is advertised`)
  }
  return advertiseDaemon({
    port,
    version: DAYBOOK_VERSION,
    onError: (err) => app.log.warn({ err }, 'mDNS advertisement failed'),
  })
}
