/**
 * A hub's start-up (`daybook serve --hub`): its certificate (given, or self-signed once in the
 * config dir), and the URL devices pair with. Every refusal is one line (`StartError`).
 */
import os from 'node:os'
import type { DaemonConfig } from '../config/daemon-config.ts'
import { describeFsError } from '../config/files.ts'
import { localUrlHost } from '../config/network.ts'
import type { HubIdentity } from '../services/sync/hub.ts'
import { SyncSpoke } from '../services/sync/spoke.ts'
import { type TlsMaterial, loadCertificate, selfSignedCertificate } from '../services/sync/tls.ts'
import { StartError } from './start-error.ts'

/** The hub's certificate, or undefined (plain HTTP on loopback, behind a proxy). */
export async function hubCertificate(config: DaemonConfig): Promise<TlsMaterial | undefined> {
  const hub = config.hub
  if (!hub) return undefined
  if (SyncSpoke.pairedIn(config.configDir)) {
    throw new StartError(
      'this daemon syncs with a hub itself (its config dir holds sync.json); run daybook sync leave before making it a hub',
    )
  }
  if (hub.tls === undefined) return undefined
  if (hub.tls === 'self-signed') {
    try {
      return await selfSignedCertificate(config.configDir, [
        ...hub.publicNames,
        ...(config.host === '0.0.0.0' || config.host === '::' ? [] : [config.host]),
        os.hostname(),
      ])
    } catch (err) {
      throw new StartError(
        `cannot make a certificate in ${config.configDir}: ${describeFsError(err)}`,
      )
    }
  }
  try {
    return loadCertificate(hub.tls.certFile, hub.tls.keyFile)
  } catch (err) {
    throw new StartError(
      `cannot use --tls-cert ${hub.tls.certFile} with --tls-key ${hub.tls.keyFile}: ${describeFsError(err)}`,
    )
  }
}

/** How devices reach the hub, once it listens on `port`. */
export function hubIdentity(
  config: DaemonConfig,
  port: number,
  tls: TlsMaterial | undefined,
): HubIdentity {
  const hub = config.hub
  const name = hub?.publicNames[0]
  if (hub?.behindProxy) {
    // The proxy's certificate is checked the usual way (a CA signed it): nothing to pin.
    return { url: `https://${name ?? 'localhost'}`, fingerprint: undefined }
  }
  const host =
    name ??
    (config.host === '0.0.0.0' || config.host === '::' ? os.hostname() : localUrlHost(config.host))
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${port}`,
    fingerprint: tls?.fingerprint,
  }
}
