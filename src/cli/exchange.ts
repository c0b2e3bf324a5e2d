/**
 * `daybook export` and `daybook import`: the history out to a file, and files (or a WakaTime-
 * compatible server) in, through the running daemon (`GET /v1/export`, `POST /v1/import`), which
 * alone writes the database and applies the live rules to imported items.
 */
import { once } from 'node:events'
import { createReadStream, createWriteStream, statSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { DaybookClient } from '../client/client.ts'
import { ApiError } from '../client/client.ts'
import {
  EXPORT_FORMATS,
  IMPORT_FORMATS,
  type ImportSummary,
  describeSummary,
} from '../domain/exchange.ts'
import { formatDuration } from '../domain/time.ts'
import { CliError, type Command, parseFlags } from './command.ts'
import { CLIENT_FLAGS, clientFlags, connect } from './connect.ts'

const EXPORT_HELP = `Usage: daybook export [--format F] [--start T] [--end T] [--device NAME]... [--out FILE]

Writes everything the daemon holds (or a range of it) to FILE, or to stdout. Streamed: the
daemon reads a page at a time, so memory stays constant whatever the history's size.

Formats:
  daybook        NDJSON, lossless (the default): settings, devices, labels, WakaTime
                 heartbeats, events, AFK periods, input counts. daybook import reads it back.
  csv            Events: start,end,app,title,url,project,branch,language,category,source,device
  activitywatch  Buckets aw-server imports ({"buckets": {...}}): per device window, web,
                 editor and AFK buckets
  wakatime       The wakatime.com data dump shape ({"user","days":[{"date","heartbeats"}],
                 "range"}), from the stored WakaTime heartbeats

Options:
  --format F      daybook, csv, activitywatch or wakatime (default daybook)
  --start T       Only items starting at or after T (RFC 3339)
  --end T         Only items starting before T (RFC 3339)
  --device NAME   Only this device (repeat for several)
  --out FILE      Write to FILE (default stdout)
${clientFlags}
  -h, --help      Show this help
`

const IMPORT_HELP = `Usage: daybook import FILE... [--format F] [--device NAME] [--dry-run] [--atomic]
       daybook import - [options]     (the file from standard input)
       daybook import --from-url URL --api-key KEY [--start DATE] [--end DATE]

Imports history into the running daemon (admin token). Items go through the same paths as
live data: WakaTime heartbeats derive events as the plugins' would, ActivityWatch buckets map
as live watchers do, and every item has a content id, so importing a file again adds nothing
("all duplicates") and an interrupted import is resumed by running it again.

Formats (told from the content when --format is absent):
  daybook        daybook export's NDJSON (lossless)
  csv            columns start,end,app,title,url,project,branch,language,category,source,
                 device (header required; start and end RFC 3339 or epoch seconds)
  activitywatch  aw-server's export: {"buckets": {id: {..., "events": [...]}}}; the bucket's
                 hostname is the device
  wakatime       the wakatime.com data dump: {"days": [{"date", "heartbeats": [...]}]};
                 machine_name_id is the device
  wakapi         heartbeats as Wakapi exports them: {"data": [...]} or [...]

Options:
  --format F      One of ${IMPORT_FORMATS.join(', ')}
  --device NAME   Device of items that name none (default: the daemon's own)
  --dry-run       Read and check the file; store nothing
  --atomic        All or nothing: a broken file stores nothing (it is checked first).
                  Without it the items before the error are kept, and the summary says so.
  --json          Print each job as JSON (GET /v1/import/{id}'s shape)
  --from-url URL  Import from a WakaTime-compatible server (Wakapi, wakatime.com) day by day
                  over /users/current/heartbeats?date=; resumable: days already imported are
                  duplicates
  --api-key KEY   The server's API key (with --from-url)      [DAYBOOK_IMPORT_API_KEY]
  --start DATE    First day to fetch (with --from-url; default: 365 days ago)
  --end DATE      Last day to fetch (with --from-url; default: today)
${clientFlags}
  -h, --help      Show this help

A progress line shows bytes, items, rate and time left on a terminal, and a line every 10 s
otherwise. The summary gives imported, duplicates, skipped items with their reason, the range
covered, and counts per device and source. A broken file is one line naming the file, the
line or byte, and what was expected; the exit status is then 1.
`

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new CliError(
      `${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`,
      2,
    )
  }
  return value as T
}

/** The error body of a failed streamed request. */
async function refusal(res: IncomingMessage): Promise<ApiError> {
  let text = ''
  for await (const chunk of res) text += String(chunk)
  let body: { code?: string; message?: string; field?: string } = {}
  try {
    body = JSON.parse(text) as typeof body
  } catch {
    // Not JSON: the status says enough.
  }
  return new ApiError(
    res.statusCode ?? 0,
    body.code ?? 'http_error',
    body.message ?? `HTTP ${res.statusCode}`,
    body.field,
  )
}

export const exportCommand: Command = {
  name: 'export',
  help: EXPORT_HELP,
  async run(argv, env) {
    const { values } = parseFlags('export', argv, {
      format: { type: 'string' },
      start: { type: 'string' },
      end: { type: 'string' },
      device: { type: 'string', multiple: true },
      out: { type: 'string' },
      ...CLIENT_FLAGS,
    })
    const format = oneOf('--format', values.format ?? 'daybook', EXPORT_FORMATS)
    const client = connect(values, env)
    const res = await client.streamed('GET', '/v1/export', {
      query: { format, start: values.start, end: values.end, device: values.device },
    })
    if ((res.statusCode ?? 0) >= 400) throw await refusal(res)
    if (values.out === undefined) {
      await pipeline(res, process.stdout, { end: false })
      return 0
    }
    // Written beside the target first, so a failed export never leaves half a file under its name.
    const part = `${values.out}.part`
    await pipeline(res, createWriteStream(part, { mode: 0o600 }))
    const { rename } = await import('node:fs/promises')
    await rename(part, values.out)
    process.stderr.write(`daybook export: wrote ${values.out}\n`)
    return 0
  },
}

/** A job as the daemon answers it. */
export interface Job {
  id: string
  format: string
  state: string
  dryRun: boolean
  summary: ImportSummary
  error: string | null
  kept: boolean | null
}

/** Shows how far an upload is: a line redrawn on a terminal, a line every 10 s otherwise. */
class Progress {
  readonly #name: string
  readonly #total: number | undefined
  readonly #tty: boolean
  readonly #started = Date.now()
  #bytes = 0
  #items = 0
  #last = 0
  #timer: NodeJS.Timeout | undefined

  constructor(name: string, total: number | undefined) {
    this.#name = name
    this.#total = total
    this.#tty = process.stderr.isTTY
    this.#timer = setInterval(() => this.#show(), this.#tty ? 250 : 10_000)
    this.#timer.unref()
  }

  bytes(n: number): void {
    this.#bytes += n
  }

  items(n: number): void {
    this.#items = n
  }

  #show(): void {
    const seconds = (Date.now() - this.#started) / 1000
    const rate = seconds > 0 ? this.#bytes / seconds : 0
    const of = this.#total ? ` of ${(this.#total / 1e6).toFixed(1)} MB` : ''
    const parts = [
      `${this.#name}: ${(this.#bytes / 1e6).toFixed(1)} MB${of}`,
      `${this.#items} items`,
      `${(rate / 1e6).toFixed(1)} MB/s`,
    ]
    if (this.#total && rate > 0) {
      parts.push(`${formatDuration(Math.max(0, (this.#total - this.#bytes) / rate))} left`)
    }
    const line = parts.join(' · ')
    if (this.#tty) process.stderr.write(`\r${line.padEnd(this.#last)}`)
    else process.stderr.write(`${line}\n`)
    this.#last = line.length
  }

  stop(): void {
    clearInterval(this.#timer)
    if (this.#tty && this.#last > 0) process.stderr.write(`\r${' '.repeat(this.#last)}\r`)
  }
}

/** Sends one file (or stream) to `POST /v1/import`; resolves to the finished job. */
async function importStream(
  client: DaybookClient,
  body: Readable,
  query: Record<string, unknown>,
  progress: Progress,
): Promise<Job> {
  body.on('data', (chunk: Buffer | string) => progress.bytes(chunk.length))
  // The live stream carries the job's item count while the body uploads.
  let stream: ReturnType<DaybookClient['openStream']> | undefined
  try {
    stream = client.openStream({ types: ['ImportProgress'] })
    stream.on('message', (data: Buffer) => {
      try {
        const envelope = JSON.parse(data.toString()) as {
          type: string
          payload: { name?: string; summary?: { read: number } }
        }
        if (envelope.type === 'ImportProgress' && envelope.payload.name === query.name) {
          progress.items(envelope.payload.summary?.read ?? 0)
        }
      } catch {
        // A frame it cannot read only leaves the count where it was.
      }
    })
    stream.on('error', () => undefined)
  } catch {
    stream = undefined
  }
  try {
    const res = await client.streamed('POST', '/v1/import', {
      query,
      body,
      headers: { 'content-type': 'application/octet-stream' },
    })
    let text = ''
    for await (const chunk of res) text += String(chunk)
    const status = res.statusCode ?? 0
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new CliError(`the daemon answered HTTP ${status} without JSON`)
    }
    // A broken file (422) or a cut-off upload (408 stalled, 413 too large) ended a job: it says
    // what was kept.
    const failed = (parsed as { job?: Job }).job
    if (status >= 400 && failed !== undefined) return failed
    if (status >= 400) {
      const e = parsed as { code?: string; message?: string; field?: string }
      throw new ApiError(status, e.code ?? 'http_error', e.message ?? `HTTP ${status}`, e.field)
    }
    return parsed as Job
  } catch (err) {
    // The file is read no further (a pipe's reader must not keep the process alive).
    body.destroy()
    throw err
  } finally {
    stream?.terminate()
    progress.stop()
  }
}

function report(job: Job, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(job)}\n`)
    return
  }
  const lines = describeSummary(job.summary)
  if (job.dryRun)
    lines[0] = `dry run, nothing stored: ${job.summary.imported} items would be imported`
  if (job.state === 'failed') {
    process.stderr.write(`daybook import: ${job.error ?? 'failed'}\n`)
    lines.unshift(
      job.kept === true
        ? 'the items read before the error were kept:'
        : 'nothing from this file was stored',
    )
  }
  process.stdout.write(`${lines.join('\n')}\n`)
}

export const importCommand: Command = {
  name: 'import',
  help: IMPORT_HELP,
  async run(argv, env) {
    const { values, positionals } = parseFlags(
      'import',
      argv,
      {
        format: { type: 'string' },
        device: { type: 'string' },
        'dry-run': { type: 'boolean' },
        atomic: { type: 'boolean' },
        json: { type: 'boolean' },
        'from-url': { type: 'string' },
        'api-key': { type: 'string' },
        start: { type: 'string' },
        end: { type: 'string' },
        ...CLIENT_FLAGS,
      },
      true,
    )
    const format =
      values.format === undefined ? undefined : oneOf('--format', values.format, IMPORT_FORMATS)
    const common = {
      format,
      device: values.device,
      dryRun: values['dry-run'] === true,
      atomic: values.atomic === true,
    }
    const client = connect(values, env)
    const json = values.json === true
    if (values['from-url'] !== undefined) {
      if (positionals.length > 0) throw new CliError('give files or --from-url, not both', 2, true)
      const key = values['api-key'] ?? env.DAYBOOK_IMPORT_API_KEY
      if (!key) throw new CliError('--from-url needs --api-key KEY (or DAYBOOK_IMPORT_API_KEY)', 2)
      const { importFromServer } = await import('./import-remote.ts')
      return importFromServer(
        { url: values['from-url'], key, start: values.start, end: values.end, ...common },
        (body, name, total) =>
          importStream(
            client,
            body,
            { ...common, format: 'wakapi', name },
            new Progress(name, total),
          ),
        (job) => report(job, json),
      )
    }
    if (positionals.length === 0) throw new CliError('name a file to import', 2, true)
    let failed = 0
    for (const file of positionals) {
      if (file === '-') {
        // Standard input: a pipe (`gunzip -c dump.json.gz | daybook import -`).
        const job = await importStream(
          client,
          process.stdin,
          { ...common, name: 'stdin' },
          new Progress('stdin', undefined),
        )
        report(job, json)
        if (job.state === 'failed') failed++
        continue
      }
      let size: number
      try {
        size = statSync(file).size
      } catch (err) {
        throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`)
      }
      const body = createReadStream(file)
      await once(body, 'open').catch((err: unknown) => {
        const e = err as NodeJS.ErrnoException
        throw new CliError(`cannot read ${file}: ${e.code ?? e.message}`)
      })
      const job = await importStream(
        client,
        body,
        { ...common, name: file },
        new Progress(file, size),
      )
      if (!json && positionals.length > 1) process.stdout.write(`${file}:\n`)
      report(job, json)
      if (job.state === 'failed') failed++
    }
    return failed > 0 ? 1 : 0
  },
}
