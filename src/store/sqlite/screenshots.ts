/**
 * The screenshots' index and settings in SQLite (`screenshots`, `screenshots_fts`,
 * `screenshot_config`), run inside a store worker: writes on the writer, each call one
 * transaction. The full-text index follows the rows through triggers.
 */
import { DEFAULT_SCREENSHOT_CONFIG, type ScreenshotConfig } from '../../domain/screenshots.ts'
import type { Frame, FrameHit, NewFrame, OpenRange, ScreenshotSettings } from '../ports.ts'
import type { Connection } from './connection.ts'
import { ftsQuery } from './search.ts'

interface FrameRow {
  filename: string
  date: string
  at_ms: number
  device: string
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

const COLUMNS =
  's.filename, s.date, s.at_ms, s.device, s.app, s.title, s.url, s.bytes, s.width, s.height, s.hash, s.text, s.ocr_ms'

function toFrame(r: FrameRow): Frame {
  return {
    date: r.date,
    filename: r.filename,
    atMs: r.at_ms,
    device: r.device,
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

/** Bounds of an open range as SQL parameters (unbounded sides as the widest integers). */
function bounds(range: OpenRange): { a: number; b: number } {
  const finite = (v: number | undefined, d: number) =>
    v === undefined || !Number.isFinite(v) ? d : v
  return {
    a: finite(range.startMs, Number.MIN_SAFE_INTEGER),
    b: finite(range.endMs, Number.MAX_SAFE_INTEGER),
  }
}

export class ScreenshotTables {
  readonly #c: Connection

  constructor(connection: Connection) {
    this.#c = connection
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

  insert(f: NewFrame): boolean {
    return (
      this.#c.run(
        `INSERT INTO screenshots
           (filename, date, at_ms, device, app, title, url, bytes, width, height, hash, text, ocr_ms)
         VALUES ($filename, $date, $at, $device, $app, $title, $url, $bytes, $width, $height,
           $hash, $text, $ocr)
         ON CONFLICT (filename) DO NOTHING`,
        {
          filename: f.filename,
          date: f.date,
          at: f.atMs,
          device: f.device,
          app: f.app,
          title: f.title,
          url: f.url,
          bytes: f.bytes,
          width: f.width,
          height: f.height,
          hash: f.hash,
          text: f.text,
          ocr: f.ocrMs,
        },
      ) > 0
    )
  }

  around(atMs: number, windowMs: number, limit: number): Frame[] {
    return this.#c
      .all<FrameRow>(
        `SELECT ${COLUMNS} FROM screenshots s WHERE s.at_ms BETWEEN $a AND $b
         ORDER BY abs(s.at_ms - $at), s.at_ms LIMIT $n`,
        { a: atMs - windowMs, b: atMs + windowMs, at: atMs, n: limit },
      )
      .map(toFrame)
  }

  searchText(text: string, range: OpenRange, limit: number): FrameHit[] {
    const match = ftsQuery(text)
    if (match === undefined) return []
    return this.#c
      .all<FrameRow & { snippet: string; rank: number }>(
        // Why two steps: the best `limit` matches are ranked first, and only theirs get a
        // snippet; a snippet for every match (all of them, for a common word) before the sort
        // took seconds over 100,000 frames.
        `WITH top AS (
           SELECT s.id, bm25(screenshots_fts, 1.0, 0.5) AS rank, s.at_ms
           FROM screenshots_fts JOIN screenshots s ON s.id = screenshots_fts.rowid
           WHERE screenshots_fts MATCH $m AND s.at_ms >= $a AND s.at_ms < $b
           ORDER BY rank, s.at_ms DESC LIMIT $n)
         SELECT ${COLUMNS}, top.rank AS rank,
           snippet(screenshots_fts, 0, '«', '»', '…', 16) AS snippet
         FROM top
         JOIN screenshots s ON s.id = top.id
         JOIN screenshots_fts ON screenshots_fts.rowid = top.id
         WHERE screenshots_fts MATCH $m
         ORDER BY top.rank, top.at_ms DESC`,
        { m: match, ...bounds(range), n: limit },
      )
      .map((r) => ({ frame: toFrame(r), snippet: r.snippet, rank: r.rank }))
  }

  totals(): { frames: number; bytes: number; oldestMs: number | null } {
    const row = this.#c.get<{ n: number; bytes: number | null; oldest: number | null }>(
      'SELECT count(*) AS n, sum(bytes) AS bytes, min(at_ms) AS oldest FROM screenshots',
    )
    return { frames: row?.n ?? 0, bytes: row?.bytes ?? 0, oldestMs: row?.oldest ?? null }
  }

  prune(beforeMs: number, maxBytes: number): { date: string; filename: string }[] {
    return this.#c.write(() => {
      const deleted = this.#delete('at_ms < $before', { before: beforeMs })
      const total = this.totals().bytes
      if (total <= maxBytes) return deleted
      // The oldest frames whose removal brings the rest under the cap: a running sum, oldest first.
      const over = total - maxBytes
      const cut = this.#c.get<{ at: number; id: number }>(
        `SELECT at_ms AS at, id FROM (
           SELECT at_ms, id, sum(bytes) OVER (ORDER BY at_ms, id) AS running FROM screenshots)
         WHERE running >= $over ORDER BY at_ms, id LIMIT 1`,
        { over },
      )
      if (!cut) return deleted
      return [
        ...deleted,
        ...this.#delete('(at_ms < $at OR (at_ms = $at AND id <= $id))', { at: cut.at, id: cut.id }),
      ]
    })
  }

  purge(range: OpenRange): { date: string; filename: string }[] {
    return this.#c.write(() => this.#delete('at_ms >= $a AND at_ms < $b', bounds(range)))
  }

  #delete(where: string, params: Record<string, number>): { date: string; filename: string }[] {
    return this.#c.all<{ date: string; filename: string }>(
      `DELETE FROM screenshots WHERE ${where} RETURNING date, filename`,
      params,
    )
  }
}
