/**
 * How WakaTime clients present their key. `wakatime-cli` sends `Authorization: Basic
 * base64(key)` (no colon); other tools send `Bearer base64(key)`, `Bearer key`, or `?api_key=key`
 * (the browser extension). The header wins over the query, as in Wakapi.
 */
import type { FastifyRequest } from 'fastify'
import { WAKATIME_KEY_RE } from '../../../services/tokens.ts'

/** A value shaped like a key Daybook issues (a WakaTime UUID or an `sk-` secret). */
function looksLikeKey(value: string): boolean {
  return WAKATIME_KEY_RE.test(value) || /^sk-[A-Za-z0-9_-]{43}$/.test(value)
}

/** The text a base64 value decodes to, or undefined when it is not base64 of UTF-8 text. */
function fromBase64(value: string): string | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return undefined
  const text = Buffer.from(value, 'base64').toString('utf8')
  return text === '' || text.includes('\uFFFD') ? undefined : text
}

/**
 * The key a WakaTime request presents, or undefined. A Basic credential may be `key`, `key:` or
 * `:key` (or `user:key`): the part that looks like a key is taken, else the password.
 */
export function presentedWakatimeKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header !== undefined) {
    const m = /^(Basic|Bearer)[ ]+(\S+)\s*$/i.exec(header)
    if (!m) return undefined
    const scheme = (m[1] as string).toLowerCase()
    const value = m[2] as string
    if (scheme === 'bearer' && looksLikeKey(value)) return value
    const decoded = fromBase64(value)?.trim()
    if (decoded === undefined) return scheme === 'bearer' ? value : undefined
    const colon = decoded.indexOf(':')
    if (colon < 0) return decoded
    const user = decoded.slice(0, colon)
    const password = decoded.slice(colon + 1)
    if (looksLikeKey(password) || !looksLikeKey(user)) return password || user || undefined
    return user
  }
  const query = (request.query as Record<string, unknown> | undefined)?.api_key
  return typeof query === 'string' && query !== '' ? query : undefined
}
