import os from 'node:os'

/** The name the daemon's own device gets when it is first created: the host name. */
export function defaultDeviceName(): string {
  return os.hostname() || 'this device'
}
