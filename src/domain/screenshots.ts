/**
 * Screenshots ("what was on screen"), the rules every layer shares: the capture settings and
 * their checks, whether capture runs now (off, paused), frame file names (the only names the
 * image routes serve), the perceptual hash that skips unchanged frames, and what retention and
 * the size cap keep.
 */
import { DAY_MS } from './time.ts'

/** Capture settings, as `GET/POST /v1/settings/screenshot/config` carry them. */
export interface ScreenshotConfig {
  /** Off until the person turns it on. */
  enabled: boolean
  /** Seconds between frames (a window change also takes one, 2 s after it). */
  intervalSecs: number
  /** The focused window, or the whole screen. */
  scope: 'window' | 'screen'
  format: 'webp'
  /** WebP quality, 1–100. */
  quality: number
  /** Frames older than this many days are deleted. */
  retentionDays: number
  /** The frames' total size is kept under this many bytes, oldest deleted first. */
  maxBytes: number
  ocr: {
    enabled: boolean
    /** Tesseract language codes (`eng`); each needs its `@tesseract.js-data/<code>` package. */
    languages: string[]
    /** Seconds a frame waits for its text; then it is stored without. */
    timeoutSecs: number
  }
}

export const DEFAULT_SCREENSHOT_CONFIG: ScreenshotConfig = {
  enabled: false,
  intervalSecs: 30,
  scope: 'window',
  format: 'webp',
  quality: 60,
  retentionDays: 14,
  maxBytes: 2 * 1024 ** 3,
  ocr: { enabled: true, languages: ['eng'], timeoutSecs: 20 },
}

/** Limits of the settings (the API schema and the checks use the same numbers). */
export const SCREENSHOT_LIMITS = {
  intervalSecs: { minimum: 5, maximum: 3600 },
  quality: { minimum: 1, maximum: 100 },
  retentionDays: { minimum: 1, maximum: 3650 },
  maxBytes: { minimum: 1024 * 1024, maximum: 2 ** 50 },
  timeoutSecs: { minimum: 0.01, maximum: 300 },
} as const

/** A Tesseract language code: `eng`, `chi_sim`. */
export const LANGUAGE_PATTERN = /^[a-z]{3}(_[a-z]+)?$/

/** A settings patch: any of the keys, `ocr`'s keys on their own too. */
export type ScreenshotConfigPatch = Partial<Omit<ScreenshotConfig, 'ocr'>> & {
  ocr?: Partial<ScreenshotConfig['ocr']> | undefined
}

/** The settings with a patch applied (the schema has checked each value's type and range). */
export function applyScreenshotPatch(
  config: ScreenshotConfig,
  patch: ScreenshotConfigPatch,
): ScreenshotConfig {
  const defined = <T extends object>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
  const { ocr, ...rest } = patch
  return {
    ...config,
    ...defined(rest),
    ocr: {
      ...config.ocr,
      ...defined(ocr ?? {}),
      languages: [...(ocr?.languages ?? config.ocr.languages)],
    },
  }
}

/** A pause: until a moment, or until resumed (`untilMs` null). */
export interface ScreenshotPause {
  untilMs: number | null
}

/** Whether capture runs at `nowMs`, and if not, why (in words for the status report). */
export function captureState(
  config: ScreenshotConfig,
  pause: ScreenshotPause | null,
  nowMs: number,
): { capturing: boolean; reason: string } {
  if (!config.enabled) return { capturing: false, reason: 'off' }
  if (pause && (pause.untilMs === null || pause.untilMs > nowMs)) {
    return {
      capturing: false,
      reason:
        pause.untilMs === null
          ? 'paused until resumed'
          : `paused until ${new Date(pause.untilMs).toISOString()}`,
    }
  }
  return { capturing: true, reason: 'capturing' }
}

/** A device's part of a frame's name: letters, digits, `_` and `-` only. */
export function deviceSlug(device: string): string {
  const slug = device.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '')
  return (slug || 'device').slice(0, 64)
}

const NAME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})-([A-Za-z0-9_-]{1,64})\.webp$/
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/** Where a frame lives under the screenshots dir: `YYYY-MM-DD/YYYYMMDDHHMMSS-<device>.webp` (UTC). */
export interface FramePath {
  date: string
  filename: string
}

/** The file of a frame taken at `atMs` on `device`. */
export function framePath(atMs: number, device: string): FramePath {
  const iso = new Date(atMs).toISOString() // 2026-12-07T04:13:23.000Z
  const date = iso.slice(0, 10)
  const stamp = iso.slice(0, 19).replace(/[-T:]/g, '')
  return { date, filename: `${stamp}-${deviceSlug(device)}.webp` }
}

/**
 * The frame a requested name stands for, or undefined when the name is not one this daemon
 * writes: the image routes serve nothing else, so no name can reach outside the screenshots dir.
 * `date`, when given, must be the frame's own date.
 */
export function parseFramePath(filename: string, date?: string): FramePath | undefined {
  const m = NAME.exec(filename)
  if (!m) return undefined
  const own = `${m[1]}-${m[2]}-${m[3]}`
  const ms = Date.parse(`${own}T${m[4]}:${m[5]}:${m[6]}Z`)
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== own) return undefined
  if (date !== undefined && (!DATE.test(date) || date !== own)) return undefined
  return { date: own, filename }
}

/** The second (epoch ms) a frame's name stamps it with. */
export function frameSecondMs(p: FramePath): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})/.exec(p.filename)
  if (!m) throw new RangeError(`not a frame name: ${p.filename}`)
  return Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6]),
  )
}

/** The frame name's own URL path (under `/screenshots/`). */
export function frameUrlPath(p: FramePath): string {
  return `/screenshots/${p.date}/${p.filename}`
}

/**
 * The difference hash of a 9×8 grey image (row-major, 72 values): 64 bits, one per pair of
 * neighbours, set where the left is brighter. Similar pictures have hashes a few bits apart.
 */
export function differenceHash(grey: Uint8Array | Buffer): string {
  if (grey.length !== 72) throw new RangeError('a difference hash needs 9×8 grey pixels')
  let hex = ''
  for (let y = 0; y < 8; y++) {
    let byte = 0
    for (let x = 0; x < 8; x++) {
      const left = grey[y * 9 + x] as number
      const right = grey[y * 9 + x + 1] as number
      byte = (byte << 1) | (left > right ? 1 : 0)
    }
    hex += byte.toString(16).padStart(2, '0')
  }
  return hex
}

/** Bits that differ between two hashes of `differenceHash`. */
export function hashDistance(a: string, b: string): number {
  let bits = 0
  for (let i = 0; i < Math.max(a.length, b.length); i += 2) {
    let x =
      Number.parseInt(a.slice(i, i + 2) || '0', 16) ^ Number.parseInt(b.slice(i, i + 2) || '0', 16)
    while (x) {
      bits += x & 1
      x >>= 1
    }
  }
  return bits
}

/** Frames at most this many bits apart from the previous frame of the same window are skipped. */
export const SAME_FRAME_BITS = 4

/** The oldest time retention keeps at `nowMs`. */
export function retentionCutoffMs(nowMs: number, retentionDays: number): number {
  return nowMs - retentionDays * DAY_MS
}

/** The value at quantile `q` (0–1) of a list, or null when empty (nearest rank). */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  ] as number
}

/** A word as the full-text index compares it: lower case, accents removed (`unicode61`, remove_diacritics). */
function fold(word: string): string {
  // Most words are ASCII: lower-cased without the cost of normalising.
  return /^[\x20-\x7e]*$/.test(word)
    ? word.toLowerCase()
    : word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()
}

/** Words a snippet shows at most. */
const SNIPPET_WORDS = 16

/**
 * The part of `text` around the match, at most 16 words, each word starting with one of `words`
 * (the query's, matched as prefixes) between `«` and `»`, `…` where text was cut. The window is
 * the one holding the most distinct query words (the first such). Text without a match (the
 * title matched) gives its first words.
 *
 * Why here rather than FTS5's snippet(): snippet() re-runs the match for each hit's row (a
 * prefix query re-expands its every term), which cost seconds for a page of hits over 100,000
 * frames; the page's text is at hand and marking it is a few microseconds.
 */
export function markSnippet(text: string, words: readonly string[]): string {
  const query = words.map(fold).filter((w) => w.length > 0)
  const tokens = [...text.matchAll(/[\p{L}\p{N}]+/gu)].map((m) => ({
    start: m.index,
    end: m.index + m[0].length,
    hit: query.findIndex((q) => fold(m[0]).startsWith(q)),
  }))
  if (tokens.length === 0) return ''
  let best = 0
  let bestCount = 0
  for (let i = 0; i < tokens.length; i++) {
    if ((tokens[i] as { hit: number }).hit < 0) continue
    const seen = new Set<number>()
    for (const t of tokens.slice(i, i + SNIPPET_WORDS)) if (t.hit >= 0) seen.add(t.hit)
    if (seen.size > bestCount) {
      best = i
      bestCount = seen.size
    }
    if (bestCount === query.length) break
  }
  // Centred a little: two words before the first match, when there are.
  const from = Math.max(0, Math.min(best - 2, tokens.length - SNIPPET_WORDS))
  const shown = tokens.slice(from, from + SNIPPET_WORDS)
  let out = ''
  for (const [i, t] of shown.entries()) {
    if (i > 0) out += text.slice((shown[i - 1] as { end: number }).end, t.start)
    const word = text.slice(t.start, t.end)
    out += t.hit >= 0 ? `«${word}»` : word
  }
  // Uncut ends keep what stands beyond the first and last word (punctuation).
  const first = shown[0] as { start: number }
  const last = shown.at(-1) as { end: number }
  const before = from > 0 ? '…' : text.slice(0, first.start).trimStart()
  const after = from + SNIPPET_WORDS < tokens.length ? '…' : text.slice(last.end).trimEnd()
  return `${before}${out}${after}`
}
