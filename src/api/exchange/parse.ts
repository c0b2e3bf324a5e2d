/**
 * Import files read as streams into the items the import service stores, one format each:
 * Daybook's NDJSON, CSV (csv-parse), and the JSON documents of ActivityWatch, WakaTime and Wakapi
 * (@streamparser/json: it emits each heartbeat or event as it is read, parents not kept, so a
 * document of any size is read in bounded memory). A broken input ends with one line naming the
 * file, the line or byte, and what was expected (a `BadRequestError`).
 */
import { createInterface } from 'node:readline'
import { Readable } from 'node:stream'
import { isJsonObject } from '../../domain/activitywatch/json.ts'
import {
  type AwBucketRecord,
  checkBucketId,
  parseBucket,
  parseEvent,
} from '../../domain/activitywatch/model.ts'
import { NS_PER_MS } from '../../domain/activitywatch/time.ts'
import { BadRequestError, DaybookError } from '../../domain/errors.ts'
import {
  DAYBOOK_FORMAT_VERSION,
  type ImportFormat,
  checkCsvHeader,
  csvRowToEvent,
  detectFormat,
  skipReason,
} from '../../domain/exchange.ts'
import { BUCKET_MS, INPUT_KINDS, type InputCounts } from '../../domain/input.ts'
import type { ImportItem } from '../../services/import.ts'
import { parseHeartbeat } from '../compat/wakatime/ingest.ts'

/** What a parser needs besides the bytes. */
export interface ParseContext {
  /** The file's name, for messages. */
  name: string
  /** Device for items that name none (`--device`); null: the daemon's own. */
  device: string | null
  nowMs: number
}

/** The first bytes of a stream (at least `min` unless it is shorter), and the whole stream again. */
async function peek(
  source: AsyncIterable<Buffer>,
  min: number,
): Promise<{ head: string; stream: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]()
  const head: Buffer[] = []
  let size = 0
  let done = false
  while (size < min) {
    const next = await iterator.next()
    if (next.done === true) {
      done = true
      break
    }
    head.push(next.value)
    size += next.value.length
  }
  async function* replay(): AsyncGenerator<Buffer> {
    yield* head
    if (done) return
    for (;;) {
      const next = await iterator.next()
      if (next.done === true) return
      yield next.value
    }
  }
  return { head: Buffer.concat(head).toString('utf8'), stream: replay() }
}

/**
 * The format of a stream from its first bytes, and the stream again from its start. Throws naming
 * the file when the format cannot be told.
 */
export async function sniff(
  source: AsyncIterable<Buffer>,
  name: string,
): Promise<{ format: ImportFormat; stream: AsyncIterable<Buffer> }> {
  const { head, stream } = await peek(source, 4096)
  const format = detectFormat(head)
  if (format === undefined) {
    throw new BadRequestError(
      'unknown_format',
      `${name}: cannot tell the format from the first bytes; expected a Daybook export (NDJSON), ` +
        'CSV with a header, or an ActivityWatch, WakaTime or Wakapi JSON export (or give --format)',
    )
  }
  return { format, stream }
}

/** The items of a stream in `format`. */
export function parseImport(
  format: ImportFormat,
  stream: AsyncIterable<Buffer>,
  ctx: ParseContext,
): AsyncGenerator<ImportItem> {
  switch (format) {
    case 'daybook':
      return parseDaybook(stream, ctx)
    case 'csv':
      return parseCsvStream(stream, ctx)
    case 'activitywatch':
      return parseActivityWatch(stream, ctx)
    case 'wakatime':
      return parseHeartbeats(stream, ctx, ['$.days.*.heartbeats.*'])
    case 'wakapi':
      return parseWakapi(stream, ctx)
  }
}

/** Wakapi's heartbeats: `{"data": [...]}` (its API's shape) or a bare list. */
async function* parseWakapi(
  source: AsyncIterable<Buffer>,
  ctx: ParseContext,
): AsyncGenerator<ImportItem> {
  const { head, stream } = await peek(source, 1)
  const list = head
    .replace(/^\uFEFF/, '')
    .trimStart()
    .startsWith('[')
  yield* parseHeartbeats(stream, ctx, [list ? '$.*' : '$.data.*'])
}

function fail(ctx: ParseContext, where: string, message: string): BadRequestError {
  return new BadRequestError('invalid_import', `${ctx.name}: ${where}: ${message}`)
}

// -- daybook (NDJSON) --------------------------------------------------------------------------

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const str = (v: unknown): v is string => typeof v === 'string'
const strOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string'
const numOrNull = (v: unknown): v is number | null => v === null || num(v)

/** Checks the fields of a record; throws naming the first one of a wrong type. */
function fields(
  r: Record<string, unknown>,
  spec: Record<string, (v: unknown) => boolean>,
  ctx: ParseContext,
  where: string,
): void {
  for (const [k, ok] of Object.entries(spec)) {
    if (!ok(r[k])) {
      throw fail(ctx, where, `${String(r.type)} record: field ${k} is missing or of the wrong type`)
    }
  }
}

async function* parseDaybook(
  stream: AsyncIterable<Buffer>,
  ctx: ParseContext,
): AsyncGenerator<ImportItem> {
  const lines = createInterface({ input: Readable.from(stream), crlfDelay: Infinity })
  let n = 0
  for await (const line of lines) {
    n++
    const where = `line ${n}`
    if (line.trim() === '') continue
    let r: unknown
    try {
      r = JSON.parse(line)
    } catch {
      throw fail(ctx, where, 'not a JSON record (a Daybook export has one JSON object a line)')
    }
    if (!isJsonObject(r) || typeof r.type !== 'string') {
      throw fail(ctx, where, 'expected a JSON object with a "type"')
    }
    if (n === 1) {
      if (r.type !== 'header' || r.format !== 'daybook') {
        throw fail(ctx, where, 'expected the header {"type":"header","format":"daybook",…}')
      }
      if (r.version !== DAYBOOK_FORMAT_VERSION) {
        throw fail(
          ctx,
          where,
          `format version ${JSON.stringify(r.version)}; this Daybook reads version ${DAYBOOK_FORMAT_VERSION}`,
        )
      }
      continue
    }
    yield daybookItem(r, ctx, where)
  }
  if (n === 0) throw fail(ctx, 'line 1', 'the file is empty; expected the Daybook header')
}

function daybookItem(r: Record<string, unknown>, ctx: ParseContext, where: string): ImportItem {
  const device = (v: unknown) => (typeof v === 'string' ? v : ctx.device)
  switch (r.type) {
    case 'settings':
      if (!isJsonObject(r.settings))
        throw fail(ctx, where, 'settings record: settings is not an object')
      return { kind: 'setting', settings: r.settings }
    case 'device':
      // Before the items naming it: a device without any data is kept too.
      fields(r, { name: (v) => typeof v === 'string' && v !== '' }, ctx, where)
      return { kind: 'device', name: r.name as string }
    case 'label':
      fields(r, { text: str, context: strOrNull, startMs: num, endMs: num }, ctx, where)
      return {
        kind: 'label',
        label: {
          text: r.text as string,
          context: r.context as string | null,
          startMs: r.startMs as number,
          endMs: r.endMs as number,
        },
      }
    case 'event':
      fields(
        r,
        {
          startMs: num,
          endMs: num,
          durationSec: numOrNull,
          category: str,
          app: str,
          entity: str,
          entityType: strOrNull,
          project: str,
          projectPath: strOrNull,
          branch: strOrNull,
          language: strOrNull,
          source: str,
          device: strOrNull,
        },
        ctx,
        where,
      )
      return {
        kind: 'event',
        event: {
          startMs: r.startMs as number,
          endMs: r.endMs as number,
          durationSec: r.durationSec as number | null,
          category: r.category as string,
          app: r.app as string,
          entity: r.entity as string,
          entityType: r.entityType as string | null,
          project: r.project as string,
          projectPath: r.projectPath as string | null,
          branch: r.branch as string | null,
          language: r.language as string | null,
          source: r.source as string,
          device: device(r.device),
        },
      }
    case 'afk':
      fields(
        r,
        {
          startMs: num,
          endMs: numOrNull,
          durationSec: numOrNull,
          source: (v) => v === undefined || strOrNull(v),
        },
        ctx,
        where,
      )
      return {
        kind: 'afk period',
        period: {
          startMs: r.startMs as number,
          endMs: r.endMs as number | null,
          durationSec: r.durationSec as number | null,
          device: device(r.device),
          source: r.source as string | null | undefined,
        },
      }
    case 'heartbeat': {
      const h = r.heartbeat
      if (!isJsonObject(h)) throw fail(ctx, where, 'heartbeat record: heartbeat is not an object')
      fields(
        h,
        {
          entity: str,
          type: str,
          category: str,
          project: str,
          branch: str,
          language: str,
          isWrite: (v) => typeof v === 'boolean',
          timeMs: num,
          device: strOrNull,
          editor: str,
          os: str,
          userAgent: str,
        },
        ctx,
        where,
      )
      return {
        kind: 'heartbeat',
        heartbeat: {
          entity: h.entity as string,
          type: h.type as string,
          category: h.category as string,
          project: h.project as string,
          branch: h.branch as string,
          language: h.language as string,
          isWrite: h.isWrite as boolean,
          timeMs: h.timeMs as number,
          device: device(h.device),
          editor: h.editor as string,
          os: h.os as string,
          userAgent: h.userAgent as string,
          extra: isJsonObject(h.extra) ? h.extra : null,
        },
      }
    }
    case 'input': {
      const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0
      fields(
        r,
        {
          bucketMs: (v) => Number.isSafeInteger(v) && (v as number) % BUCKET_MS === 0,
          source: (v) => v === undefined || (typeof v === 'string' && v !== ''),
          ...Object.fromEntries(INPUT_KINDS.map((k) => [k, count])),
        },
        ctx,
        where,
      )
      return {
        kind: 'input bucket',
        row: {
          bucketMs: r.bucketMs as number,
          device: device(r.device),
          // A file of the first exports summed a device's sources into one row without a name.
          source: (r.source as string | undefined) ?? 'daybook-import',
          ...(Object.fromEntries(INPUT_KINDS.map((k) => [k, r[k] as number])) as InputCounts),
        },
      }
    }
    default:
      throw fail(
        ctx,
        where,
        `unknown record type ${JSON.stringify(r.type)}; expected settings, device, label, heartbeat, event, afk or input`,
      )
  }
}

// -- CSV ---------------------------------------------------------------------------------------

async function* parseCsvStream(
  stream: AsyncIterable<Buffer>,
  ctx: ParseContext,
): AsyncGenerator<ImportItem> {
  // Rows are taken as the parser reads them (`on_record`), not from its readable side: when a row
  // is broken, the stream would drop the good rows it still buffered before the error, and an
  // import that keeps what came before an error must keep all of it.
  const rows: { record: Record<string, string>; line: number }[] = []
  // The parsers load with the first import that needs them, not with every start of the daemon.
  const { Parser: CsvParser } = await import('csv-parse')
  const parser = new CsvParser({
    bom: true,
    columns: (header: string[]) => {
      const names = header.map((h) => h.trim())
      try {
        checkCsvHeader(names)
      } catch (err) {
        throw fail(ctx, 'line 1', (err as Error).message)
      }
      return names
    },
    skip_empty_lines: true,
    trim: true,
    // With `columns`, a record is an object by column name (the types know only arrays).
    on_record: (record: unknown, info) => {
      rows.push({ record: record as Record<string, string>, line: info.lines })
      return null
    },
  })
  let failure: unknown
  parser.on('error', (err) => {
    failure ??= err
  })
  parser.resume()
  const broken = (err: unknown): Error => {
    if (err instanceof DaybookError) return err
    const e = err as Error & { lines?: number }
    return fail(ctx, `line ${e.lines ?? '?'}`, `not valid CSV: ${e.message}`)
  }
  function* ready(): Generator<ImportItem> {
    for (const { record, line } of rows.splice(0)) {
      try {
        yield { kind: 'event', event: csvRowToEvent(record, ctx.device) }
      } catch (err) {
        if (!(err instanceof DaybookError)) throw err
        throw fail(ctx, `line ${line}`, err.message)
      }
    }
  }
  for await (const chunk of stream) {
    await new Promise<void>((done) =>
      parser.write(chunk, (err) => {
        failure ??= err ?? undefined
        done()
      }),
    )
    // The rows before a broken one are items too.
    yield* ready()
    if (failure !== undefined) throw broken(failure)
  }
  await new Promise<void>((done) => {
    parser.once('error', () => done())
    parser.once('finish', () => done())
    parser.end()
  })
  yield* ready()
  if (failure !== undefined) throw broken(failure)
}

// -- JSON documents ----------------------------------------------------------------------------

/**
 * Values at `paths` of a JSON document, each with the keys above it; throws naming the byte after
 * the last good token when the document is broken or cut short.
 */
async function* jsonValues(
  stream: AsyncIterable<Buffer>,
  paths: string[],
  ctx: ParseContext,
): AsyncGenerator<{ value: unknown; key: string | number | undefined; keys: unknown[] }> {
  const { Tokenizer, TokenParser } = await import('@streamparser/json')
  const tokenizer = new Tokenizer()
  const parser = new TokenParser({ paths, keepStack: false })
  let offset = 0
  tokenizer.onToken = (token) => {
    offset = token.offset
    parser.write(token)
  }
  let found: { value: unknown; key: string | number | undefined; keys: unknown[] }[] = []
  parser.onValue = ({ value, key, stack }) => {
    found.push({ value, key, keys: stack.map((s) => s.key) })
  }
  const where = () => `byte ${offset + 1}`
  // The values read before a broken token are items too: yielded before the error is thrown.
  for await (const chunk of stream) {
    let broken: unknown
    try {
      tokenizer.write(chunk)
    } catch (err) {
      broken = err
    }
    const ready = found
    found = []
    yield* ready
    if (broken !== undefined) {
      throw fail(ctx, where(), `not valid JSON (${(broken as Error).message})`)
    }
  }
  try {
    tokenizer.end()
  } catch (err) {
    yield* found
    throw fail(
      ctx,
      where(),
      `the JSON ends early: the file is truncated (${(err as Error).message})`,
    )
  }
  if (!parser.isEnded) {
    throw fail(ctx, where(), 'the JSON ends early: the file is truncated')
  }
  yield* found
}

async function* parseActivityWatch(
  stream: AsyncIterable<Buffer>,
  ctx: ParseContext,
): AsyncGenerator<ImportItem> {
  const META = ['id', 'created', 'name', 'type', 'client', 'hostname', 'data']
  const paths = [...META.map((k) => `$.buckets.*.${k}`), '$.buckets.*.events.*']
  const nowNs = BigInt(ctx.nowMs) * NS_PER_MS
  // A bucket's fields as read so far; its events wait only when they come before its fields.
  let key: string | undefined
  let raw: Record<string, unknown> = {}
  let bucket: AwBucketRecord | undefined
  let waiting: unknown[] = []
  let n = 0
  const record = (): AwBucketRecord => {
    if (bucket) return bucket
    const id = typeof raw.id === 'string' && raw.id !== '' ? raw.id : (key as string)
    try {
      checkBucketId(id)
      bucket = parseBucket(raw, id, nowNs)
    } catch (err) {
      throw fail(ctx, `bucket ${JSON.stringify(id)}`, (err as Error).message)
    }
    return bucket
  }
  const event = (value: unknown): ImportItem => {
    n++
    const b = record()
    try {
      return { kind: 'activitywatch event', bucket: b, event: { ...parseEvent(value), id: null } }
    } catch (err) {
      throw fail(ctx, `bucket ${JSON.stringify(b.id)}, event ${n}`, (err as Error).message)
    }
  }
  function* finish(): Generator<ImportItem> {
    if (key !== undefined) for (const v of waiting) yield event(v)
    waiting = []
  }
  for await (const v of jsonValues(stream, paths, ctx)) {
    const bucketKey = v.keys[2]
    if (typeof bucketKey !== 'string') continue
    if (bucketKey !== key) {
      yield* finish()
      key = bucketKey
      raw = {}
      bucket = undefined
      n = 0
    }
    if (typeof v.key === 'number') {
      // An event: stored at once when the bucket's fields are all read (aw-server writes them
      // first), held until the bucket ends otherwise.
      if (
        bucket ||
        (typeof raw.type === 'string' &&
          typeof raw.hostname === 'string' &&
          typeof raw.client === 'string')
      ) {
        yield event(v.value)
      } else waiting.push(v.value)
    } else if (typeof v.key === 'string') raw[v.key] = v.value
  }
  yield* finish()
  if (key === undefined) throw fail(ctx, 'byte 1', 'expected {"buckets": {"<id>": bucket, …}}')
}

async function* parseHeartbeats(
  stream: AsyncIterable<Buffer>,
  ctx: ParseContext,
  paths: string[],
): AsyncGenerator<ImportItem> {
  let n = 0
  for await (const v of jsonValues(stream, paths, ctx)) {
    // `$.*` is a top-level array's items (Wakapi's bare list); the `data` array itself is not one.
    if (typeof v.key !== 'number') continue
    n++
    const raw = v.value
    if (!isJsonObject(raw)) throw fail(ctx, `heartbeat ${n}`, 'expected a heartbeat object')
    const seconds = typeof raw.time === 'number' ? raw.time : Number(raw.time)
    const early = skipReason(seconds * 1000, seconds * 1000, ctx.nowMs)
    if (early !== undefined) {
      yield { kind: 'skip', of: 'heartbeat', reason: early }
      continue
    }
    const machine =
      typeof raw.machine_name_id === 'string' && raw.machine_name_id !== ''
        ? raw.machine_name_id
        : typeof raw.machine === 'string' && raw.machine !== ''
          ? raw.machine
          : (ctx.device ?? undefined)
    const userAgent =
      typeof raw.user_agent === 'string'
        ? raw.user_agent
        : typeof raw.user_agent_id === 'string'
          ? raw.user_agent_id
          : ''
    const parsed = parseHeartbeat(raw, `heartbeat ${n}`, { userAgent, machine, nowMs: ctx.nowMs })
    if (!parsed.ok) {
      // Grouped by what is wrong, not by which heartbeat: "heartbeat 12/type must be…".
      const problem = parsed.error.replace(/^heartbeat \d+\/?:?\s*/, '')
      yield { kind: 'skip', of: 'heartbeat', reason: `refused: ${problem}` }
      continue
    }
    yield { kind: 'heartbeat', heartbeat: parsed.heartbeat }
  }
}
