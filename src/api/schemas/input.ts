/**
 * Schemas of the input-activity routes: the frames protocol's frames and summary, Daybook's own batch route,
 * and the analysis routes over input.
 */
import { type Static, Type } from '#typebox'
import { INPUT_KINDS, MAX_COUNT } from '../../domain/input.ts'
import { UnixSeconds } from './common.ts'

const KIND_NAMES: Record<(typeof INPUT_KINDS)[number], string> = {
  lc: 'left clicks',
  rc: 'right clicks',
  mc: 'middle clicks',
  kp: 'key presses',
  mm: 'mouse motion events',
  scroll: 'scroll steps',
}

/** The frames server's error body, which its routes keep (its clients read nothing else). */
export const FramesError = Type.Object(
  { error: Type.String({ description: 'e.g. `unauthorized`, `invalid_json`.' }) },
  { title: 'FramesError' },
)

export const SOURCE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@:+-]*$'
export const BATCH_ID_PATTERN = '^[A-Za-z0-9._:-]+$'
const BATCH_ID_DESCRIPTION =
  'The sender’s unique id for these counts; a re-sent id is acknowledged and not counted again.'

const SourceName = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: SOURCE_PATTERN,
  description: 'Collector name, e.g. `daybook-input`.',
})

const BatchId = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: BATCH_ID_PATTERN,
  description: BATCH_ID_DESCRIPTION,
})

/**
 * The frames protocol's frame. Documentation only: the route reads it leniently, as the frames server did (counts
 * through `safe_int`), so no validator runs on it.
 */
export const FramesBody = Type.Object(
  {
    timestamp_ms: Type.Optional(
      Type.Integer({
        description:
          'When the frame was built (epoch ms). Places the counts when within the last 30 days ' +
          'and not in the future; otherwise the receive time does.',
      }),
    ),
    summary: Type.Optional(
      Type.Object(
        Object.fromEntries(
          INPUT_KINDS.map((k) => [
            `total_${k}`,
            Type.Optional(Type.Integer({ description: `${KIND_NAMES[k]} since the last frame` })),
          ]),
        ),
        {
          description:
            'Counts since the last frame. Read leniently: "7" → 7, 3.7 → 3, null/""/"x"/[] → 0; ' +
            `negative and non-finite → 0; capped at ${MAX_COUNT}.`,
        },
      ),
    ),
    source: Type.Optional({ ...SourceName, description: 'Daybook extension; default `frames`.' }),
    batch_id: Type.Optional({
      ...BatchId,
      description: `Daybook extension. ${BATCH_ID_DESCRIPTION}`,
    }),
  },
  {
    description:
      "The frames protocol's payload; any other JSON object is accepted and counts as zero.",
  },
)

const Count = Type.Integer({ minimum: 0, maximum: MAX_COUNT, default: 0 })

/** One bucket as the summary and timeseries routes return it. */
const ActivityRow = Type.Object({
  t: Type.Integer({ description: 'Bucket start, epoch ms (UTC), a multiple of 5 minutes.' }),
  ...(Object.fromEntries(
    INPUT_KINDS.map((k) => [k, Type.Integer({ minimum: 0, description: KIND_NAMES[k] })]),
  ) as Record<(typeof INPUT_KINDS)[number], ReturnType<typeof Type.Integer>>),
})

export const ActivitySummaryQuery = Type.Object({
  days: Type.Integer({
    minimum: 1,
    maximum: 90,
    default: 14,
    description: 'How many days back (default 14, at most 90).',
  }),
})

export const ActivitySummary = Type.Object({ rows: Type.Array(ActivityRow) })

/** Daybook's own input batch: what `daybook watch input` sends. */
export const InputBatch = Type.Object({
  source: SourceName,
  device: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 256,
      description: "The device the input happened on, by name (default: the daemon's own).",
    }),
  ),
  buckets: Type.Array(
    Type.Object({
      id: BatchId,
      timestamp_ms: Type.Integer({
        minimum: 0,
        description: 'The bucket start (any time inside the bucket works), epoch ms.',
      }),
      lc: Count,
      rc: Count,
      mc: Count,
      kp: Count,
      mm: Count,
      scroll: Count,
    }),
    { maxItems: 10_000 },
  ),
})
export type InputBatch = Static<typeof InputBatch>

export const InputBatchResult = Type.Object({
  inserted: Type.Integer({ description: 'Buckets whose counts were added.' }),
  duplicates: Type.Integer({ description: 'Buckets whose id was already added: nothing changed.' }),
})

/** The largest range the analysis routes compute over. */
export const MAX_ANALYSIS_SPAN_SEC = 366 * 86_400

export const AnalysisRange = Type.Object({
  startUtc: UnixSeconds('Range start, unix seconds (inclusive).'),
  endUtc: UnixSeconds('Range end, unix seconds (exclusive); at most 366 days after the start.'),
})
export type AnalysisRange = Static<typeof AnalysisRange>

const CountsOf = (description: string, integer: boolean) =>
  Type.Object(
    Object.fromEntries(INPUT_KINDS.map((k) => [k, integer ? Type.Integer() : Type.Number()])),
    { description },
  )

export const InputMetricsResponse = Type.Object({
  startUtc: Type.Number(),
  endUtc: Type.Number(),
  n_epochs: Type.Integer({ description: 'Buckets (5-minute epochs) with input in the range.' }),
  epoch_sec: Type.Integer({ description: 'Length of an epoch: 300.' }),
  totals: CountsOf('Sums over the range.', true),
  per_minute: CountsOf('Totals per minute of the whole range.', false),
  per_active_minute: CountsOf('Totals per active minute.', false),
  active_minutes: Type.Number({
    description:
      'Minutes covered by 5-minute buckets with any input (5-minute resolution), clipped to the range.',
  }),
})

export const InputTimeseriesResponse = Type.Object({
  startUtc: Type.Number(),
  endUtc: Type.Number(),
  n_epochs: Type.Integer({ description: 'Buckets with input in the range, before downsampling.' }),
  n_points: Type.Integer({ description: 'Rows returned (at most 800).' }),
  epoch_sec: Type.Integer(),
  rows: Type.Array(ActivityRow, {
    description:
      'Stored buckets, ascending; over 800 are downsampled by LTTB on their normalised activity, ' +
      'so each row is a real bucket and peaks are kept.',
  }),
})
