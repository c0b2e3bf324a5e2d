/**
 * The screenshots' index and settings in SQLite (`screenshots`, `screenshots_fts`,
 * `screenshot_config`), run inside a store worker: writes on the writer, each call one
 * transaction. The full-text index follows the rows through triggers.
 *
 * Frames are in the change feed (`seq`, `origin`) so their index rows sync; a frame received
 * from another daemon (`origin` set) has no image here. Deleting a frame leaves a tombstone
 * (kind `screenshot`), as deleting an event does; retention and the size cap delete only the
 * frames taken here (each device prunes its own, and its tombstones reach the others).
 */
import { parse as uuidParse } from 'uuid'
import { frameId } from '../../domain/events.ts'
import {
  DEFAULT_SCREENSHOT_CONFIG,
  type FramePath,
  type ScreenshotConfig,
  markSnippet,
} from '../../domain/screenshots.ts'
import type {
  DeletedFile,
  Frame,
  FrameHit,
  NewFrame,
  OpenRange,
  ScreenshotSettings,
} from '../ports.ts'
import type { Connection } from './connection.ts'
import { words } from './search.ts'
import type { Tx } from './write/transaction.ts'
import type { SyncScreenshot } from '../../domain/sync.ts'

/** Runs a write transaction with feed positions (the writer's). */
export interface FrameWrites {
  transaction<T>(fn: (tx: Tx) => T): T
}

/** What a frame's row holds of what was on screen (as stored and as sync carries it). */
interface FrameContent {
  filename: string
  at_ms: number
  app: string
  title: string
  url: string | null
  bytes: number
  width: number
  height: number
  hash: string
  text: string | null
  ocr_ms: number | null
}

interface FrameRow extends FrameContent {
  date: string
  device: string
  here: number
}

/** A frame's row as sync reads it: its device by id, where it came from. */
export interface FrameRecord extends FrameContent {
  id: number
  seq: number
  date: string
  device_id: number
  uuid: string
  origin: number | null
}

/** The columns of a `FrameRecord` (from `screenshots`, unaliased). */
export const FRAME_RECORD = `id, seq, device_id, (SELECT uuid FROM devices WHERE devices.id = device_id) AS uuid,
  filename, date, at_ms, app, title, url, bytes, width, height, hash, text, ocr_ms, origin`

/** A frame's row as sync carries it (its id from its device's id and its name). */
export function toSyncScreenshot(r: FrameRecord): SyncScreenshot {
  return {
    kind: 'screenshot',
    op: 'upsert',
    id: frameId(r.uuid, r.filename),
    device: r.uuid,
    ...contentOf(r),
  }
}

/** What was on screen, as the port and the wire name it. */
function contentOf(r: FrameContent) {
  return {
    filename: r.filename,
    atMs: r.at_ms,
    app: r.app,
    title: r.title,
    url: r.url,
    bytes: r.bytes,
    width: r.width,
    height: r.height,
    hash: r.hash,
    text: r.text,
    ocrMs: r.ocr_ms,
  }
}

/**
 * Stores a frame's row at feed position `seq`: `origin` null for a frame taken here (its image is
 * here), else the device it was received from.
 */
export function insertFrame(
  tx: Tx,
  f: Omit<NewFrame, 'device'>,
  deviceId: number,
  origin: number | null,
): void {
  tx.c.run(
    `INSERT INTO screenshots
       (filename, date, at_ms, device_id, app, title, url, bytes, width, height, hash, text,
        ocr_ms, seq, origin)
     VALUES ($filename, $date, $at, $device, $app, $title, $url, $bytes, $width, $height,
       $hash, $text, $ocr, $seq, $origin)`,
    {
      filename: f.filename,
      date: f.date,
      at: f.atMs,
      device: deviceId,
      app: f.app,
      title: f.title,
      url: f.url,
      bytes: f.bytes,
      width: f.width,
      height: f.height,
      hash: f.hash,
      text: f.text,
      ocr: f.ocrMs,
      seq: tx.nextSeq(),
      origin,
    },
  )
}

/** A frame's columns, its device's name from `devices d` (joined by the query). */
const COLUMNS =
  's.filename, s.date, s.at_ms, d.name AS device, s.origin IS NULL AS here, s.app, s.title, s.url, s.bytes, s.width, s.height, s.hash, s.text, s.ocr_ms'

const FROM = 'screenshots s JOIN devices d ON d.id = s.device_id'

function toFrame(r: FrameRow): Frame {
  return {
    date: r.date,
    device: r.device,
    here: r.here === 1,
    ...contentOf(r),
  }
}

/** Bounds of an open range as SQL parameters (unbounded sides as the widest integers). */
function bounds(range: OpenRange): { a: number; b: number } {
  const finite = (v: number | undefined, d: number) =>
    v === undefined || !Number.isFinite(v) ? d : v
  return {
    a: finite(range.startMs, Number.MIN_SAFE_INTEGER),
    b: finite(range.endMs, Number.MAX_SAFE_INTEGER),
  }
}

/**
 * A word in more frames than this is not ranked by (see `searchText`); the frames of a rare word
 * are ranked, at most this many.
 */
const RANK_CAP = 2000

/** A frame deleted here: what its tombstone and its file need. */
interface DeletedFrame {
  date: string
  filename: string
  at_ms: number
  device_id: number
  uuid: string
  origin: number | null
}

export class ScreenshotTables {
  readonly #c: Connection
  readonly #writes: FrameWrites | undefined

  constructor(connection: Connection, writes?: FrameWrites) {
    this.#c = connection
    this.#writes = writes
  }

  #write<T>(fn: (tx: Tx) => T): T {
    if (!this.#writes) throw new Error('this store worker does not write')
    return this.#writes.transaction(fn)
  }

  settings(): ScreenshotSettings {
    const row = this.#c.get<{ value: string }>(
      "SELECT value FROM screenshot_config WHERE key = 'settings'",
    )
    if (!row) return { config: structuredClone(DEFAULT_SCREENSHOT_CONFIG), pause: null }
    const stored = JSON.parse(row.value) as {
      config: Partial<ScreenshotConfig>
      pause: ScreenshotSettings['pause']
    }
    // Settings saved by an older build lack newer keys: those take their defaults.
    const config = {
      ...DEFAULT_SCREENSHOT_CONFIG,
      ...stored.config,
      ocr: { ...DEFAULT_SCREENSHOT_CONFIG.ocr, ...stored.config.ocr },
    }
    return { config, pause: stored.pause }
  }

  saveSettings(settings: ScreenshotSettings): void {
    this.#c.run(
      `INSERT INTO screenshot_config (key, value) VALUES ('settings', $value)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      { value: JSON.stringify(settings) },
    )
  }

  /**
   * A frame taken here. Not stored (false) when its device already has one of that file name, or
   * had one that was deleted (a purge stays a purge, as a deleted event stays deleted).
   */
  insert(f: NewFrame): boolean {
    return this.#write((tx) => {
      const { c } = tx
      const device = tx.dims.device(f.device, tx.nextSeq, Date.now())
      const id = Buffer.from(uuidParse(frameId(device.uuid, f.filename)))
      if (
        c.get('SELECT 1 AS x FROM screenshots WHERE device_id = $d AND filename = $f', {
          d: device.id,
          f: f.filename,
        }) !== undefined ||
        c.get("SELECT 1 AS x FROM tombstones WHERE kind = 'screenshot' AND id = $id", { id }) !==
          undefined
      ) {
        return false
      }
      insertFrame(tx, f, device.id, null)
      return true
    })
  }

  around(atMs: number, windowMs: number, limit: number): Frame[] {
    return this.#c
      .all<FrameRow>(
        `SELECT ${COLUMNS} FROM ${FROM} WHERE s.at_ms BETWEEN $a AND $b
         ORDER BY abs(s.at_ms - $at), s.at_ms LIMIT $n`,
        { a: atMs - windowMs, b: atMs + windowMs, at: atMs, n: limit },
      )
      .map(toFrame)
  }

  /**
   * Why in steps, none of them over every match of a common word: FTS5's bm25() counts each
   * phrase's frames over the whole index before ranking (a scan of the doclist of "the"), and
   * snippet() re-runs the match for every row it marks; both took seconds over 100,000 frames.
   *
   * 0. A range bounds the matching steps by rowid: the ids of the frames in the range (from the
   *    time index) give a band, and FTS5 seeks each doclist to it. Without it, a range far in the
   *    past walked every newer match first. Ids follow indexing order, and frames synced late
   *    widen the band, but a band is only ever a bound: the range itself is checked on each row.
   * 1. Each word's frames are counted up to `RANK_CAP`. A word in more than `RANK_CAP` frames, or
   *    in more than half of all frames, is too common to rank by: FTS5's bm25 gives a word in
   *    more than half the frames a weight of 1e-6 anyway, and counting a more common one costs
   *    more than the whole search may.
   * 2. When every word is common: the newest matching frames (by id), no rank.
   * 3. When every word is rare: the matches ranked with bm25 (title weighs half the text), ties
   *    newest first, in one query. Otherwise the frames matching every word (at most
   *    `RANK_CAP`, as some word is rare) ranked by bm25 over the rare words only.
   * 4. The page's rows, and their snippets marked here (`markSnippet`).
   */
  searchText(text: string, range: OpenRange, limit: number): FrameHit[] {
    const list = words(text)
    if (list.length === 0) return []
    const phrase = (w: string) => `"${w}"*`
    const all = list.map(phrase).join(' ')
    const { a, b } = bounds(range)
    const ranged = a > Number.MIN_SAFE_INTEGER || b < Number.MAX_SAFE_INTEGER
    return this.#c.read(() => {
      let band: { lo?: number; hi?: number } = {}
      if (ranged) {
        const r = this.#c.get<{ lo: number | null; hi: number | null }>(
          'SELECT min(id) AS lo, max(id) AS hi FROM screenshots WHERE at_ms >= $a AND at_ms < $b',
          { a, b },
        )
        if (!r || r.lo === null || r.hi === null) return []
        band = { lo: r.lo, hi: r.hi }
      }
      // Only with a range: over the whole index a rowid bound only adds work.
      const inBand = ranged ? 'f.rowid BETWEEN $lo AND $hi' : '1'
      const counts = list.map(
        (w) =>
          this.#c.get<{ n: number }>(
            `SELECT count(*) AS n FROM (
               SELECT rowid FROM screenshots_fts WHERE screenshots_fts MATCH $m LIMIT $cap)`,
            { m: phrase(w), cap: RANK_CAP + 1 },
          )?.n ?? 0,
      )
      if (counts.some((n) => n === 0)) return []
      // Counted up to twice the cap: past that, a word within the cap is in under half the frames.
      let frames = Infinity
      if (counts.some((n) => n <= RANK_CAP)) {
        frames =
          this.#c.get<{ n: number }>(
            'SELECT count(*) AS n FROM (SELECT 1 FROM screenshots LIMIT $cap)',
            { cap: 2 * RANK_CAP },
          )?.n ?? 0
      }
      const rare = list.filter((_, i) => (counts[i] as number) <= Math.min(RANK_CAP, frames / 2))
      const bm25 = 'bm25(screenshots_fts, 1.0, 0.5)'
      /** Frames matching every word in the band and the range, in `order`, at most `n`. */
      const matches = (rank: string, order: string, n: number) =>
        this.#c.all<{ id: number; rank: number | null }>(
          `SELECT f.rowid AS id, ${rank} AS rank FROM screenshots_fts f
           ${ranged ? 'CROSS JOIN screenshots s ON s.id = f.rowid' : ''}
           WHERE screenshots_fts MATCH $m AND ${inBand}
             ${ranged ? 'AND s.at_ms >= $a AND s.at_ms < $b' : ''}
           ORDER BY ${order} LIMIT $n`,
          { m: all, n, ...band, ...(ranged ? { a, b } : {}) },
        )
      let page: { id: number; rank: number | null }[]
      if (rare.length === 0) {
        // Every word common: the newest frames (by when they were indexed) that match.
        page = matches('NULL', 'f.rowid DESC', limit)
      } else if (rare.length === list.length) {
        page = matches(bm25, 'rank, f.rowid DESC', limit)
      } else {
        const matching = new Set(matches('NULL', 'f.rowid', RANK_CAP).map((r) => r.id))
        page = this.#c
          .all<{ id: number; rank: number }>(
            `SELECT f.rowid AS id, ${bm25} AS rank
             FROM screenshots_fts f WHERE screenshots_fts MATCH $m AND ${inBand}
             ORDER BY rank, f.rowid DESC`,
            { m: rare.map(phrase).join(' '), ...band },
          )
          .filter((r) => matching.has(r.id))
          .slice(0, limit)
      }
      if (page.length === 0) return []
      const rows = new Map(
        this.#c
          .all<FrameRow & { id: number }>(
            `SELECT s.id, ${COLUMNS} FROM ${FROM}
             WHERE s.id IN (SELECT value FROM json_each($ids))`,
            { ids: JSON.stringify(page.map((p) => p.id)) },
          )
          .map((r) => [r.id, r]),
      )
      const hits = page.flatMap(({ id, rank }) => {
        const r = rows.get(id)
        return r ? [{ frame: toFrame(r), snippet: markSnippet(r.text ?? '', list), rank }] : []
      })
      // Unranked: newest first by the frame's own time (indexing order is nearly that).
      if (rare.length === 0) hits.sort((x, y) => y.frame.atMs - x.frame.atMs)
      return hits
    })
  }

  /** The frames taken here (their images are on this disk): the cap and the metrics count these. */
  totals(): { frames: number; bytes: number; oldestMs: number | null } {
    const row = this.#c.get<{ n: number; bytes: number | null; oldest: number | null }>(
      `SELECT count(*) AS n, sum(bytes) AS bytes, min(at_ms) AS oldest FROM screenshots
       WHERE origin IS NULL`,
    )
    return { frames: row?.n ?? 0, bytes: row?.bytes ?? 0, oldestMs: row?.oldest ?? null }
  }

  /**
   * Retention and the size cap, over the frames taken here; and the files of frames taken here
   * that another daemon deleted since (`screenshot_unlinks`), which the caller deletes too.
   */
  prune(beforeMs: number, maxBytes: number): DeletedFile[] {
    return this.#write((tx) => {
      const local = 'origin IS NULL'
      const deleted = this.#delete(tx, `${local} AND at_ms < $before`, { before: beforeMs })
      const unlinks = tx.c
        .all<FramePath>('DELETE FROM screenshot_unlinks RETURNING date, filename')
        .map((f) => ({ ...f, here: true }))
      const gone = [...deleted, ...unlinks]
      const total = this.totals().bytes
      if (total <= maxBytes) return gone
      // The oldest frames whose removal brings the rest under the cap: a running sum, oldest first.
      const over = total - maxBytes
      const cut = tx.c.get<{ at: number; id: number }>(
        `SELECT at_ms AS at, id FROM (
           SELECT at_ms, id, sum(bytes) OVER (ORDER BY at_ms, id) AS running FROM screenshots
           WHERE ${local})
         WHERE running >= $over ORDER BY at_ms, id LIMIT 1`,
        { over },
      )
      if (!cut) return gone
      return [
        ...gone,
        ...this.#delete(tx, `${local} AND (at_ms < $at OR (at_ms = $at AND id <= $id))`, {
          at: cut.at,
          id: cut.id,
        }),
      ]
    })
  }

  /**
   * Deletes the frames of a range, every device's or those of `devices` (by name); a deletion
   * syncs, as a deleted event's does.
   */
  purge(range: OpenRange, devices?: readonly string[]): DeletedFile[] {
    const inRange = 'at_ms >= $a AND at_ms < $b'
    return this.#write((tx) =>
      devices === undefined
        ? this.#delete(tx, inRange, bounds(range))
        : this.#delete(
            tx,
            `${inRange} AND device_id IN (SELECT id FROM devices WHERE name IN (SELECT value FROM json_each($names)))`,
            { ...bounds(range), names: JSON.stringify(devices) },
          ),
    )
  }

  /** Deletes frames, each leaving its tombstone. */
  #delete(tx: Tx, where: string, params: Record<string, number | string>): DeletedFile[] {
    const rows = tx.c.all<DeletedFrame>(
      `DELETE FROM screenshots WHERE ${where}
       RETURNING date, filename, at_ms, device_id, origin,
         (SELECT uuid FROM devices WHERE devices.id = device_id) AS uuid`,
      params,
    )
    if (rows.length === 0) return []
    const version = tx.hlc()
    for (const r of rows) {
      const id = Buffer.from(uuidParse(frameId(r.uuid, r.filename)))
      buryFrame(tx, { id, startMs: r.at_ms, deviceId: r.device_id }, { version, origin: null })
    }
    return rows.map((r) => ({ date: r.date, filename: r.filename, here: r.origin === null }))
  }
}

/**
 * The tombstone of a deleted frame (kind `screenshot`, by `frameId`), at a new feed position:
 * `origin` null for a deletion made here, else the daemon it was received from.
 */
export function buryFrame(
  tx: Tx,
  f: { id: Uint8Array; startMs: number | null; deviceId: number | null },
  made: { version: number | null; origin: number | null },
): void {
  tx.c.run(
    `INSERT INTO tombstones (seq, kind, id, start_ms, device_id, version, origin)
     VALUES ($seq, 'screenshot', $id, $s, $d, $v, $o)
     ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq,
       start_ms = coalesce(excluded.start_ms, start_ms), device_id = coalesce(excluded.device_id, device_id),
       version = excluded.version, origin = excluded.origin`,
    {
      seq: tx.nextSeq(),
      id: f.id,
      s: f.startMs,
      d: f.deviceId,
      v: made.version,
      o: made.origin,
    },
  )
}
