/**
 * How the daemon logs, the same on every listener: JSON lines (`--log-format json`, for a log
 * collector) or one human line per entry (the default, for a terminal and the system journal).
 * Tokens never reach a log: the Authorization header is redacted and so is a `?token=` query.
 */
import { Writable } from 'node:stream'
import type { FastifyServerOptions } from 'fastify'
import type { LogFormat } from '../config/settings.ts'

/** The logger options of every Fastify instance the daemon runs. */
export function daemonLogger(
  level: string,
  format: LogFormat,
  out: NodeJS.WritableStream = process.stderr,
): NonNullable<FastifyServerOptions['logger']> {
  return {
    level,
    redact: ['req.headers.authorization'],
    serializers: {
      req: (req: { method: string; url: string }) => ({
        method: req.method,
        url: redactUrl(req.url),
      }),
    },
    // Everything the daemon says goes to stderr, in one format; stdout stays empty.
    stream: format === 'human' ? humanLines(out) : out,
  }
}

function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&]*/g, '$1[redacted]')
}

const LABELS: Record<number, string> = { 40: 'warning: ', 50: 'error: ', 60: 'fatal: ' }

/** What a person reads of one JSON log line: `daybook: warning: message (the error)`. */
export function humanLine(json: string): string | undefined {
  let entry: { level?: number; msg?: string; err?: { message?: string }; req?: { url?: string } }
  try {
    entry = JSON.parse(json) as typeof entry
  } catch {
    return json.trimEnd()
  }
  // Fastify's own "Server listening at …" for each listener: the daemon prints one line naming
  // every listener once it is ready, so these would only repeat it.
  if (entry.msg?.startsWith('Server listening at ') === true) return undefined
  const label = LABELS[entry.level ?? 30] ?? ''
  const detail =
    entry.err?.message !== undefined && entry.err.message !== entry.msg
      ? ` (${entry.err.message})`
      : ''
  const where = entry.req?.url !== undefined ? ` [${entry.req.url}]` : ''
  return `daybook: ${label}${entry.msg ?? ''}${detail}${where}`
}

/** A stream pino writes JSON lines to, which writes them to `out` as human lines. */
function humanLines(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const json of chunk.toString('utf8').split('\n')) {
        if (json === '') continue
        const line = humanLine(json)
        if (line !== undefined) out.write(`${line}\n`)
      }
      done()
    },
  })
}

const LEVELS = { info: 30, warn: 40, error: 50 } as const

/**
 * The daemon's own lines (listening, a signal, a start-up warning) in the log's format: as written
 * in human mode, as a JSON line (pino's fields) in JSON mode, so a log collector reads every line.
 */
export function lifecycleLog(
  format: LogFormat,
  out: NodeJS.WritableStream = process.stderr,
): (text: string, level?: keyof typeof LEVELS) => void {
  return (text, level = 'info') => {
    out.write(
      format === 'json'
        ? `${JSON.stringify({ level: LEVELS[level], time: Date.now(), pid: process.pid, msg: text })}\n`
        : `${text}\n`,
    )
  }
}
