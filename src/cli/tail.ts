/**
 * `daybook tail`: the daemon's live stream as readable lines (or raw envelopes), until the
 * daemon stops or the user interrupts.
 */
import type WebSocket from 'ws'
import { ApiError, UnreachableError } from '../client/client.ts'
import { CliError, type Command, parseFlags } from './command.ts'
import { clientFlags, connect } from './connect.ts'
import { formatDuration } from '../domain/time.ts'
import { count } from '../domain/words.ts'

const HELP = `Usage: daybook tail [options]

Prints the daemon's live stream as it happens: events stored or extended, AFK periods, input
counts, labels, settings and status. Runs until interrupted or until the daemon stops.

Options:
  --types LIST    Only these types, comma-separated, e.g. EventsInserted,AfkChanged
                  (EventsInserted, EventsDeleted, AfkChanged, InputSample, LabelCreated,
                  LabelUpdated, LabelDeleted, SettingsChanged, DevicesChanged, status)
  --after SEQ     First replay the stored changes after sequence number SEQ, then go live
  --json          One JSON envelope per line, exactly as sent
${clientFlags}
  -h, --help      Show this help
`

/** One sample of an `InputSample` envelope, as the stream sends it. */
interface InputSampleWire {
  bucket_ms: number
  source: string
  device: string | null
  lc: number
  rc: number
  mc: number
  kp: number
  mm: number
  scroll: number
}

interface Envelope {
  type: string
  ts_unix_ms: number
  payload: Record<string, unknown>
}

interface WireEvent {
  seq?: number
  timestamp?: string
  endTimestamp?: string | null
  duration?: number
  category?: string
  app?: string
  entity?: string
  project?: string
  source?: string
  device?: string
  id?: string
}

const clock = new Intl.DateTimeFormat('en-GB', {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
})

const time = (iso: string | null | undefined) =>
  iso === null || iso === undefined ? '…' : clock.format(new Date(iso))

function describeEvent(e: WireEvent): string {
  const what = [e.app, e.project, e.entity].filter((v) => v !== undefined && v !== '').join(' · ')
  return `${what} ${time(e.timestamp)}–${time(e.endTimestamp)} (${formatDuration(e.duration ?? 0)}) [${e.source ?? '?'}@${e.device ?? '?'}]`
}

/** One envelope as the lines a person reads: `HH:MM:SS  Type  what happened`. */
function formatEnvelope(envelope: Envelope): string[] {
  const at = clock.format(new Date(envelope.ts_unix_ms))
  const p = envelope.payload
  const line = (text: string) => `${at}  ${envelope.type}  ${text}`
  switch (envelope.type) {
    case 'DaemonStarted':
      return [line(typeof p.message === 'string' ? p.message : 'connected')]
    case 'DaemonShutdown':
      return [line('the daemon is shutting down')]
    case 'EventsInserted':
      return ((p.events ?? []) as WireEvent[]).map((e) => line(describeEvent(e)))
    case 'EventsDeleted':
      return [line(`${count(((p.events ?? []) as unknown[]).length, 'event')} deleted`)]
    case 'AfkChanged':
      return ((p.periods ?? []) as (WireEvent & { op: string })[]).map((a) =>
        line(
          a.op === 'delete'
            ? 'an AFK period was deleted'
            : `away ${time(a.timestamp)}–${time(a.endTimestamp)} [${a.device ?? '?'}]`,
        ),
      )
    case 'InputSample':
      // One line per bucket the batch added to: its 5-minute bucket, counts, source and device.
      return ((p.samples ?? []) as InputSampleWire[]).map((s) =>
        line(
          `${clock.format(new Date(s.bucket_ms))} keys ${s.kp}, clicks ${s.lc + s.rc + s.mc}, ` +
            `moves ${s.mm}, scrolls ${s.scroll} [${s.source}@${s.device ?? 'this device'}]`,
        ),
      )
    case 'LabelCreated':
    case 'LabelUpdated': {
      const l = (p.label ?? {}) as { text?: string; startUtc?: number; endUtc?: number }
      const iso = (sec: number | undefined) =>
        sec === undefined ? undefined : new Date(sec * 1000).toISOString()
      return [line(`"${l.text ?? ''}" ${time(iso(l.startUtc))}–${time(iso(l.endUtc))}`)]
    }
    case 'LabelDeleted':
      return [line(`label ${String(p.id)}`)]
    case 'SettingsChanged':
      return ((p.settings ?? []) as { key: string; value: unknown }[]).map((s) =>
        line(`${s.key} = ${JSON.stringify(s.value)}`),
      )
    case 'status': {
      const counts = (p.counts ?? {}) as Record<string, number>
      const streams = (p.streams ?? {}) as { websocketClients?: number }
      return [
        line(
          `${count(counts.events ?? 0, 'event')}, ${count(counts.afkPeriods ?? 0, 'AFK period')}, ` +
            count(streams.websocketClients ?? 0, 'stream client'),
        ),
      ]
    }
    default:
      return [line(JSON.stringify(p))]
  }
}

/** Resolves to the exit code once the stream ends; rejects for a refused or unreachable stream. */
function follow(ws: WebSocket, json: boolean, where: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let opened = false
    const write = (text: string) => {
      if (!process.stdout.destroyed) process.stdout.write(text)
    }
    // A closed pipe (`daybook tail | head`) ends the command quietly.
    process.stdout.on('error', () => {
      ws.terminate()
      resolve(0)
    })
    const interrupt = () => {
      ws.close(1000)
      resolve(0)
    }
    process.once('SIGINT', interrupt)
    process.once('SIGTERM', interrupt)
    ws.on('open', () => (opened = true))
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8')
      if (json) return write(`${text}\n`)
      try {
        write(`${formatEnvelope(JSON.parse(text) as Envelope).join('\n')}\n`)
      } catch {
        write(`${text}\n`)
      }
    })
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d.toString()))
      res.on('end', () => {
        ws.terminate()
        let e: { code?: string; message?: string } = {}
        try {
          e = JSON.parse(body) as typeof e
        } catch {
          // not ours: say what answered
        }
        reject(
          new ApiError(
            res.statusCode ?? 0,
            e.code ?? 'http_error',
            e.message ?? `${where} answered HTTP ${res.statusCode ?? 0}, not a Daybook stream`,
          ),
        )
      })
    })
    ws.on('error', (err: NodeJS.ErrnoException) => {
      if (!opened)
        reject(new UnreachableError(`cannot reach daybook at ${where}: ${err.code ?? err.message}`))
    })
    ws.on('close', (code, reason) => {
      process.off('SIGINT', interrupt)
      process.off('SIGTERM', interrupt)
      if (!opened) return
      // 1000: we closed it; 1001: the daemon stopped cleanly. Anything else is worth a line.
      if (code === 1000 || code === 1001) return resolve(0)
      process.stderr.write(
        `daybook tail: the stream closed (${code}${reason.length > 0 ? `: ${reason.toString()}` : ''})\n`,
      )
      resolve(1)
    })
  })
}

export const tailCommand: Command = {
  name: 'tail',
  help: HELP,
  async run(argv, env) {
    const { values } = parseFlags('tail', argv, {
      types: { type: 'string' },
      after: { type: 'string' },
      json: { type: 'boolean' },
      'data-dir': { type: 'string' },
      'config-dir': { type: 'string' },
      url: { type: 'string' },
    })
    if (values.after !== undefined && !/^\d+$/.test(values.after)) {
      throw new CliError(
        `--after must be a sequence number, got ${JSON.stringify(values.after)}`,
        2,
      )
    }
    const types = values.types
      ?.split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '')
    const client = connect(values, env)
    const ws = client.openStream({
      types,
      after: values.after === undefined ? undefined : Number(values.after),
    })
    return follow(ws, values.json === true, client.describe())
  },
}
