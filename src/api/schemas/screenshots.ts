/**
 * Wire shapes of the screenshot routes: the capture settings, the collector's frames, frames and
 * text-search hits (times in unix seconds, as the skill-daemon API's analysis routes carry them).
 */
import { type Static, type TOptional, type TSchema, Type } from '#typebox'
import { LANGUAGE_PATTERN, SCREENSHOT_LIMITS } from '../../domain/screenshots.ts'
import type { Frame, FrameHit } from '../../store/ports.ts'
import type { CaptureState } from '../../services/screenshots.ts'
import { ScreenshotService } from '../../services/screenshots.ts'
import { Nullable, UnixSeconds } from './common.ts'

const L = SCREENSHOT_LIMITS

const Ocr = {
  enabled: Type.Boolean({ description: 'Read the text of each frame (default true).' }),
  languages: Type.Array(Type.String({ pattern: LANGUAGE_PATTERN.source }), {
    minItems: 1,
    maxItems: 8,
    uniqueItems: true,
    description:
      'Tesseract language codes (default `["eng"]`); each needs its `@tesseract.js-data/<code>` package installed beside Daybook.',
  }),
  timeoutSecs: Type.Number({
    ...L.timeoutSecs,
    description:
      'Seconds a frame waits for its text (fractions allowed); then it is stored without (default 20).',
  }),
}

const ConfigFields = {
  enabled: Type.Boolean({ description: 'Capture at all (default false).' }),
  intervalSecs: Type.Integer({
    ...L.intervalSecs,
    description:
      'Seconds between frames; a window change also takes one 2 s after it (default 30).',
  }),
  scope: Type.Union([Type.Literal('window'), Type.Literal('screen')], {
    description: 'The focused window (default) or the whole screen.',
  }),
  format: Type.Literal('webp'),
  quality: Type.Integer({ ...L.quality, description: 'WebP quality (default 60).' }),
  retentionDays: Type.Integer({
    ...L.retentionDays,
    description: 'Frames older than this are deleted (default 14).',
  }),
  maxBytes: Type.Integer({
    ...L.maxBytes,
    description: 'The frames take at most this many bytes, oldest deleted first (default 2 GiB).',
  }),
}

export const ScreenshotConfigWire = Type.Object(
  { ...ConfigFields, ocr: Type.Object(Ocr, { additionalProperties: false }) },
  { additionalProperties: false },
)

/** Every property optional, no others. */
const partial = <P extends Record<string, TSchema>>(properties: P) =>
  Type.Object(
    Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, Type.Optional(v)])) as {
      [K in keyof P]: TOptional<P[K]>
    },
    { additionalProperties: false },
  )

export const ScreenshotConfigBody = partial({ ...ConfigFields, ocr: partial(Ocr) })

export const CaptureStateWire = Type.Object({
  config: ScreenshotConfigWire,
  capturing: Type.Boolean({ description: 'Whether frames are taken now.' }),
  reason: Type.String({ description: '`capturing`, `off`, `paused until …`.' }),
  paused: Type.Boolean(),
  pausedUntil: Nullable(UnixSeconds('When the pause ends; null: until resumed, or not paused.')),
})

export function captureStateToWire(s: CaptureState): Static<typeof CaptureStateWire> {
  return {
    config: s.config,
    capturing: s.capturing,
    reason: s.reason,
    paused: s.paused,
    pausedUntil: s.pausedUntilMs === null ? null : s.pausedUntilMs / 1000,
  }
}

export const PauseBody = Type.Object(
  {
    forSecs: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 366 * 86_400,
        description: 'Seconds to pause for; absent: until resumed.',
      }),
    ),
  },
  { additionalProperties: false },
)

export const PurgeBody = Type.Object(
  {
    startUtc: Type.Optional(UnixSeconds()),
    endUtc: Type.Optional(UnixSeconds()),
    all: Type.Optional(Type.Boolean({ description: 'Every frame, and the whole folder.' })),
  },
  { additionalProperties: false },
)

/** A frame as the collector sends it: the index row's facts and the WebP file in base64. */
export const FrameUploadBody = Type.Object(
  {
    timestamp: UnixSeconds('When the frame was taken.'),
    device: Type.String({ minLength: 1, maxLength: 200 }),
    app: Type.String({ maxLength: 500 }),
    title: Type.String({ maxLength: 2000 }),
    url: Nullable(Type.String({ maxLength: 4000 })),
    width: Type.Integer({ minimum: 1, maximum: 32_768 }),
    height: Type.Integer({ minimum: 1, maximum: 32_768 }),
    hash: Type.String({ pattern: '^[0-9a-f]{16}$' }),
    text: Nullable(Type.String({ maxLength: 200_000 })),
    ocrMs: Nullable(Type.Integer({ minimum: 0 })),
    image: Type.String({ minLength: 16, contentEncoding: 'base64', description: 'The WebP file.' }),
  },
  { additionalProperties: false },
)

export const FrameWire = Type.Object({
  filename: Type.String(),
  date: Type.String({ description: 'Its folder, `YYYY-MM-DD` (UTC).' }),
  timestamp: UnixSeconds(),
  device: Type.String({ description: 'The device that took it (frames sync between devices).' }),
  app: Type.String(),
  title: Type.String(),
  url: Nullable(Type.String({ description: "The page's URL, for a browser window." })),
  bytes: Type.Integer(),
  width: Type.Integer(),
  height: Type.Integer(),
  hash: Type.String(),
  hasText: Type.Boolean({ description: 'Whether OCR read its text.' }),
  imageUrl: Type.String({
    description: 'The image, on this daemon (add `?token=` for an `<img>`).',
  }),
  imageHere: Type.Boolean({
    description:
      "Whether the image is on this daemon. False for another device's frame (its index row and text synced; the image stays on that device, and `imageUrl` answers 409 `screenshot_elsewhere` naming it).",
  }),
})

export function frameToWire(f: Frame): Static<typeof FrameWire> {
  return {
    filename: f.filename,
    date: f.date,
    timestamp: f.atMs / 1000,
    device: f.device,
    app: f.app,
    title: f.title,
    url: f.url,
    bytes: f.bytes,
    width: f.width,
    height: f.height,
    hash: f.hash,
    hasText: f.text !== null && f.text !== '',
    imageUrl: ScreenshotService.url(f),
    imageHere: f.here,
  }
}

export const AroundBody = Type.Object(
  {
    timestamp: UnixSeconds('The moment.'),
    windowSecs: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 86_400, description: 'Default 60.' }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Default 10.' })),
  },
  { additionalProperties: false },
)

export const SearchTextBody = Type.Object(
  {
    query: Type.String({
      minLength: 1,
      maxLength: 500,
      description: 'Words; each matches as a prefix, all must match.',
    }),
    start: Type.Optional(UnixSeconds()),
    end: Type.Optional(UnixSeconds()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: 'Default 20.' })),
  },
  { additionalProperties: false },
)

export const HitWire = Type.Object({
  ...FrameWire.properties,
  snippet: Type.String({ description: 'Text around the match, each match between « and ».' }),
  rank: Type.Union([Type.Number(), Type.Null()], {
    description:
      'BM25 over the rarer words of the query: lower is better. Null when every word is in so many frames (over half of them, or over 2,000) that ranking would not tell them apart: then the newest frames come first.',
  }),
})

export function hitToWire(h: FrameHit): Static<typeof HitWire> {
  return { ...frameToWire(h.frame), snippet: h.snippet, rank: h.rank }
}

/** What the collector reports: its counts since it started. */
export const CollectorCountsWire = Type.Object(
  {
    captured: Type.Integer({ minimum: 0 }),
    skippedIdentical: Type.Integer({
      minimum: 0,
      description: 'Same as the last frame of that window.',
    }),
    skippedPrivate: Type.Integer({
      minimum: 0,
      description: 'Private windows, excluded apps, titles and URLs.',
    }),
    skippedAway: Type.Integer({
      minimum: 0,
      description: 'Frames due while the person was away or the screen locked.',
    }),
    ocrPending: Type.Integer({ minimum: 0 }),
    ocrTimedOut: Type.Integer({
      minimum: 0,
      description: 'Frames stored without text: OCR took longer than `ocr.timeoutSecs`.',
    }),
    ocrMsP50: Nullable(Type.Number({ minimum: 0 })),
    ocrMsP95: Nullable(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
)

export const MetricsWire = Type.Object({
  frames: Type.Integer({ description: 'Frames kept.' }),
  bytes: Type.Integer({ description: 'Their size.' }),
  oldest: Nullable(UnixSeconds('The oldest frame kept.')),
  capturing: Type.Boolean(),
  reason: Type.String(),
  collector: Nullable(
    Type.Object(
      {
        ...CollectorCountsWire.properties,
        reportedAt: UnixSeconds('When the collector reported them.'),
      },
      {
        description:
          "The collector's counts since it started, as it last reported them; null when none has.",
      },
    ),
  ),
})

export const DirWire = Type.Object({
  dir: Type.String({ description: 'Where the frames are kept.' }),
  port: Nullable(Type.Integer({ description: "The daemon's TCP port." })),
})
