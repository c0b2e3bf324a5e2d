/**
 * Host names, origins and addresses as the daemon is configured with them, and the one loopback
 * rule: which addresses only this machine reaches, and how a local client reaches a listener.
 */

/** Host names always answered on loopback (Host headers, any port). */
export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'] as const

/**
 * True for an address only this machine reaches: `localhost`, 127.0.0.0/8, `::1` (bracketed or
 * not) and IPv4-mapped 127.x. Serves for the address the daemon binds and for a client's address.
 */
export function isLoopback(address: string): boolean {
  const a = address.toLowerCase()
  return a === 'localhost' || a === '::1' || a === '[::1]' || /^(::ffff:)?127\./.test(a)
}

/**
 * How a client on this machine names a listener bound to `address` in a URL: a wildcard bind is
 * reached at loopback, an IPv4-mapped address as IPv4, an IPv6 address in brackets.
 */
export function localUrlHost(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1'
  if (address === '::') return '[::1]'
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]
  if (mapped !== undefined) return mapped
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address
}

/**
 * A host name as configured (`--allow-host`), normalised to how a Host header spells it:
 * lowercase, IPv6 in brackets. Undefined when it is not a host name or address.
 */
export function normaliseHostName(value: string): string | undefined {
  const v = value.trim().toLowerCase()
  if (/^[0-9a-f:.]+$/.test(v) && v.includes(':')) return `[${v}]`
  return /^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9._-]*[a-z0-9])?)$/.test(v) ? v : undefined
}

/**
 * An origin as configured (`--cors-origin`): `scheme://host[:port]`, no path, query or user.
 * Extension origins (`chrome-extension://<id>`, `moz-extension://<uuid>`) are origins too.
 * Undefined when the value is not one (`*` included).
 */
export function normaliseOrigin(value: string): string | undefined {
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    return undefined
  }
  const bare =
    url.username === '' &&
    url.password === '' &&
    url.search === '' &&
    url.hash === '' &&
    (url.pathname === '' || url.pathname === '/')
  const host = /^([a-z0-9]([a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])$/.test(url.hostname)
  return bare && host ? `${url.protocol}//${url.host}` : undefined
}

/** True for an absolute http or https URL. */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}
