/**
 * The day's timeline: a lane per source (per device and source when there are several devices),
 * AFK periods, input intensity and labels. It opens on the hours that have data; dragging across
 * the lanes or the wheel zooms, and the toolbar pans, zooms and resets. Stretches wide enough say
 * what they were inline; hover (or the arrow keys in a focused lane) tells the rest. Shift-drag,
 * or a drag while "Label a range" is pressed, labels a stretch of time ("Add label" too).
 */
import { Temporal } from 'temporal-polyfill'
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import type { FullEvent, InputSeries, Label } from '../../../src/client/api.ts'
import { splitRange } from '../../../src/domain/calendar.ts'
import { MINUTE_MS } from '../../../src/domain/time.ts'
import type { Ctx } from '../context.ts'
import { formatClock, formatDate, formatDuration, inputTime } from '../format.ts'
import { useLoad } from '../hooks.ts'
import { PALETTE } from '../palette.ts'
import type { Filters } from '../../../src/client/api.ts'
import { customPreset } from '../range.ts'
import { memo } from '../memo.ts'
import { imageSrc, useNearestFrame } from './screens.tsx'
import {
  blocks,
  clampView,
  dataHours,
  type Item,
  MIN_SPAN_MS,
  type Row,
  type Span,
  TEXT_MIN_PX,
  ticks,
} from '../lanes.ts'

interface Segment {
  startMs: number
  endMs: number
  event: FullEvent
}

interface Lane {
  key: string
  title: string
  kind: string
  segments: Segment[]
}

/**
 * What sent a lane's events, from what they name: files are an editor's, pages a browser's. Not
 * from the category: the API gives each event the category the rules count it under, so a window
 * in an editor comes as `Coding` too.
 */
function kindOf(e: FullEvent): string {
  if (e.language !== null || e.entityType === 'File') return 'editor'
  if (e.entityType === 'Url' || e.entityType === 'Domain') return 'browser'
  return 'window'
}

const KIND_ORDER = ['window', 'editor', 'browser']

function lanesOf(events: readonly FullEvent[], range: { startMs: number; endMs: number }): Lane[] {
  const devices = new Set(events.map((e) => e.device ?? ''))
  const lanes = new Map<string, Lane>()
  for (const e of events) {
    const startMs = Math.max(range.startMs, Date.parse(e.timestamp))
    const endMs = Math.min(
      range.endMs,
      e.endTimestamp === null ? startMs : Date.parse(e.endTimestamp),
    )
    if (!(endMs > startMs)) continue
    const device = devices.size > 1 ? `${e.device ?? ''} · ` : ''
    const key = `${device}${e.source}`
    let lane = lanes.get(key)
    if (!lane) lanes.set(key, (lane = { key, title: key, kind: kindOf(e), segments: [] }))
    const last = lane.segments[lane.segments.length - 1]
    // Back-to-back pieces of the same thing are one bar (a day of heartbeats is thousands).
    if (
      last &&
      startMs - last.endMs <= 1000 &&
      last.event.app === e.app &&
      last.event.entity === e.entity &&
      last.event.project === e.project &&
      last.event.category === e.category
    ) {
      last.endMs = Math.max(last.endMs, endMs)
    } else {
      lane.segments.push({ startMs, endMs, event: e })
    }
  }
  return [...lanes.values()].sort(
    (a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.key.localeCompare(b.key),
  )
}

function rankCategories(events: readonly FullEvent[]): string[] {
  const time = new Map<string, number>()
  for (const e of events) {
    const ms = e.endTimestamp === null ? 0 : Date.parse(e.endTimestamp) - Date.parse(e.timestamp)
    time.set(e.category, (time.get(e.category) ?? 0) + ms)
  }
  return [...time].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c]) => c)
}

/** What the timeline loads for its day. */
interface TimelineData {
  events: FullEvent[]
  afk: FullEvent[]
  input: InputSeries | undefined
  labels: Label[]
}

interface Hover {
  x: number
  y: number
  lines: string[]
}

/** The timeline's rows: a lane per source, then AFK, input and labels. */
function buildRows(
  data: TimelineData | undefined,
  added: readonly Label[],
  categories: readonly string[],
  day: Span,
  tz: string,
): { eventRows: Row[]; rows: Row[] } {
  const clock = (ms: number) => formatClock(ms, tz)
  const colour = (category: string) => {
    const i = categories.indexOf(category)
    return `c${i < 0 ? PALETTE.length - 1 : Math.min(i, PALETTE.length - 1)}`
  }
  const labels = [
    ...(data?.labels ?? []),
    ...added.filter((a) => !data?.labels.some((l) => l.id === a.id)),
  ]
  const inputRows = data?.input?.rows ?? []
  const weight = (r: (typeof inputRows)[number]) => r.kp + r.lc + r.rc + r.mc + r.scroll
  const maxInput = Math.max(1, ...inputRows.map(weight))
  const eventRows: Row[] = (data ? lanesOf(data.events, day) : []).map((lane) => ({
    title: lane.title,
    items: lane.segments.map((seg) => {
      const e = seg.event
      const what = e.entity ?? e.project ?? ''
      return {
        startMs: seg.startMs,
        endMs: seg.endMs,
        cls: colour(e.category),
        text: [e.app ?? e.category, what].filter((x) => x !== '').join(' · '),
        describe: () => [
          `${clock(seg.startMs)}–${clock(seg.endMs)} (${formatDuration((seg.endMs - seg.startMs) / 1000)})`,
          `${e.category}${e.app ? ` · ${e.app}` : ''}`,
          ...(e.entity ? [e.entity] : []),
          ...(e.project ? [`project ${e.project}${e.branch ? ` (${e.branch})` : ''}`] : []),
          ...(e.language ? [`language ${e.language}`] : []),
          `${e.source}${e.device ? ` on ${e.device}` : ''}`,
        ],
      }
    }),
  }))
  const labelRow: Row = {
    title: 'Labels',
    cls: 'labels',
    testid: 'timeline-labels',
    items: labels.flatMap((l) => {
      const st = Math.max(day.startMs, l.startUtc * 1000)
      const t = Math.min(day.endMs, l.endUtc * 1000)
      if (!(t > st)) return []
      return [
        {
          startMs: st,
          endMs: t,
          cls: 'label',
          testid: 'timeline-label',
          text: l.text,
          describe: () => [l.text, `${clock(st)}–${clock(t)}`, ...(l.context ? [l.context] : [])],
        },
      ]
    }),
  }
  const rows: Row[] = [
    ...eventRows,
    {
      title: 'AFK',
      items: (data?.afk ?? []).flatMap((p) => {
        const st = Math.max(day.startMs, Date.parse(p.timestamp))
        const end = p.endTimestamp === null ? Date.now() : Date.parse(p.endTimestamp)
        const t = Math.min(day.endMs, end)
        if (!(t > st)) return []
        return [
          {
            startMs: st,
            endMs: t,
            cls: 'afk',
            describe: () => [
              `Away ${clock(st)}–${clock(t)} (${formatDuration((t - st) / 1000)})`,
              ...(p.device ? [p.device] : []),
            ],
          },
        ]
      }),
    },
    {
      title: 'Input',
      items: inputRows.flatMap((r) => {
        const w = weight(r)
        if (w === 0) return []
        return [
          {
            startMs: r.t,
            endMs: r.t + 300_000,
            cls: `input i${Math.max(1, Math.ceil((w / maxInput) * 5))}`,
            describe: () => [
              `${clock(r.t)}–${clock(r.t + 300_000)}`,
              `${r.kp} keys, ${r.lc + r.rc + r.mc} clicks, ${r.scroll} scrolls`,
            ],
          },
        ]
      }),
    },
    labelRow,
  ]
  return { eventRows: [...eventRows, labelRow], rows }
}

function TimelineCard(props: {
  ctx: Ctx
  day: { startMs: number; endMs: number; date: string }
  filters: Filters
  /** Categories in the order the bars colour them, when the bars show categories. */
  categoryOrder?: readonly string[] | undefined
  ready: boolean
}) {
  const { ctx, day } = props
  const { api, tz, cal } = ctx
  const filterKey = JSON.stringify(props.filters)
  const loaded = useLoad(
    async (signal): Promise<TimelineData> => {
      const preset = customPreset(day.startMs, day.endMs)
      const [events, afk, input, labels] = await Promise.all([
        api.events({ preset, tz, ...props.filters }, signal),
        api.afk({ preset, tz }, signal),
        api
          .inputSeries({ startUtc: day.startMs / 1000, endUtc: day.endMs / 1000 }, signal)
          .catch(() => undefined),
        api.labels({ startUtc: day.startMs / 1000, endUtc: day.endMs / 1000, limit: 1000 }, signal),
      ])
      return { events, afk, input, labels }
    },
    [api, day.startMs, day.endMs, tz, filterKey, ctx.tick],
    props.ready,
  )
  const [hover, setHover] = useState<Hover | undefined>(undefined)
  const [pointerMs, setPointerMs] = useState<number | undefined>(undefined)
  const frame = useNearestFrame(api, pointerMs)
  // What a drag across the lanes does: zoom to it, or label it (Shift, or the label mode).
  const [labelMode, setLabelMode] = useState(false)
  const [drag, setDrag] = useState<{ a: number; b: number; label: boolean } | undefined>(undefined)
  // The handlers read the drag from a ref: pointer events can arrive faster than renders, and a
  // render's closure would still see the drag before the last event.
  const dragRef = useRef<{ a: number; b: number; label: boolean } | undefined>(undefined)
  const setDragBoth = (d: { a: number; b: number; label: boolean } | undefined) => {
    dragRef.current = d
    setDrag(d)
  }
  // The zoomed view; undefined is the hours that have data.
  const [zoom, setZoom] = useState<Span | undefined>(undefined)
  const [pending, setPending] = useState<{ start: string; end: string } | undefined>(undefined)
  const [labelText, setLabelText] = useState('')
  const [labelError, setLabelError] = useState<string | undefined>(undefined)
  const [added, setAdded] = useState<Label[]>([])
  const [focused, setFocused] = useState<{ row: number; item: number } | undefined>(undefined)
  const [widthPx, setWidthPx] = useState(0)
  const tracks = useRef<HTMLDivElement>(null)
  const textInput = useRef<HTMLInputElement>(null)
  const formOpen = pending !== undefined
  useEffect(() => {
    if (formOpen) textInput.current?.focus()
  }, [formOpen])
  useEffect(() => {
    const el = tracks.current
    if (!el) return
    const observer = new ResizeObserver(() => setWidthPx(el.clientWidth))
    observer.observe(el)
    setWidthPx(el.clientWidth)
    return () => observer.disconnect()
  }, [])
  // Another day starts at its own hours.
  useEffect(() => {
    setZoom(undefined)
    setFocused(undefined)
  }, [day.startMs, day.endMs])

  const data = loaded.data
  const hours = useMemo(() => splitRange(day, 'hour', cal), [day.startMs, day.endMs, cal])
  const categoryKey = props.categoryOrder?.join('\u0000')
  // The lanes as rows of stretches, built once per load (a busy day has thousands): each says
  // what it was only when asked (hover, the arrow keys).
  const { eventRows, rows } = useMemo(() => {
    // Colours as the bars give them: their order of categories, or by time in the day.
    const categories = props.categoryOrder ?? rankCategories(data?.events ?? [])
    return buildRows(data, added, categories, day, tz)
  }, [data, added, categoryKey, day.startMs, day.endMs, tz])

  const clock = (ms: number) => formatClock(ms, tz)
  const toTime = (ms: number) => inputTime(ms, tz)
  const fromTime = (hhmm: string): number | undefined => {
    const m = /^(\d{2}):(\d{2})$/.exec(hhmm)
    if (!m) return undefined
    const minutes = Number(m[1]) * 60 + Number(m[2])
    let date = Temporal.PlainDate.from(day.date)
    if (minutes < cal.startOfDayMinutes) date = date.add({ days: 1 })
    return date.toZonedDateTime({
      timeZone: tz,
      plainTime: new Temporal.PlainTime(Number(m[1]), Number(m[2])),
    }).epochMilliseconds
  }
  const show = (e: MouseEvent, item: Item, count: number) => {
    const box = tracks.current?.parentElement?.getBoundingClientRect()
    setHover({
      x: e.clientX - (box?.left ?? 0) + 12,
      y: e.clientY - (box?.top ?? 0) + 12,
      lines: [
        ...item.describe(),
        ...(count > 1
          ? [`and ${count - 1} more stretches within a pixel; zoom in to see them`]
          : []),
      ],
    })
  }

  const fit = dataHours(eventRows, hours, day)
  const view = clampView(zoom ?? fit, day)
  const span = view.endMs - view.startMs
  const pct = (ms: number) => `${(((ms - view.startMs) / span) * 100).toFixed(3)}%`
  const px = (ms: number) => (ms / span) * widthPx
  const zoomTo = (next: Span) => setZoom(clampView(next, day))
  const zoomBy = (factor: number, anchorMs = (view.startMs + view.endMs) / 2) => {
    const f = (anchorMs - view.startMs) / span
    const next = Math.max(MIN_SPAN_MS, span * factor)
    zoomTo({ startMs: anchorMs - f * next, endMs: anchorMs - f * next + next })
  }
  const panBy = (fraction: number) =>
    zoomTo({ startMs: view.startMs + span * fraction, endMs: view.endMs + span * fraction })
  const zoomed = view.startMs !== fit.startMs || view.endMs !== fit.endMs
  const focusedItem = focused === undefined ? undefined : rows[focused.row]?.items[focused.item]
  const tickTimes = ticks(
    hours,
    view,
    widthPx || 600,
    /[ap]m|[AP]M/.test(clock(day.startMs)) ? 84 : 64,
  )

  const msAt = (clientX: number) => {
    const r = tracks.current?.getBoundingClientRect()
    if (!r || r.width === 0) return view.startMs
    const f = Math.min(1, Math.max(0, (clientX - r.left) / r.width))
    return view.startMs + f * span
  }

  const saveLabel = async (ev: Event) => {
    ev.preventDefault()
    if (!pending) return
    const s = fromTime(pending.start)
    let e = fromTime(pending.end)
    if (s === undefined || e === undefined) return setLabelError('Times are HH:MM')
    if (e <= s) e = Math.min(day.endMs, e + 86_400_000)
    try {
      const label = await api.createLabel({
        text: labelText.trim(),
        startUtc: Math.round(s / 1000),
        endUtc: Math.round(e / 1000),
      })
      setAdded((a) => [...a, label])
      setPending(undefined)
      setLabelText('')
      setLabelError(undefined)
    } catch (err) {
      setLabelError(err instanceof Error ? err.message : String(err))
    }
  }

  return (
    <section
      class="card timeline"
      aria-label={`Timeline of ${day.date}`}
      aria-busy={loaded.loading}
    >
      <div class="card-head">
        <h3>
          Timeline · {formatDate(day.date, { weekday: 'short', day: 'numeric', month: 'short' })}
        </h3>
        <div class="row tl-tools" role="group" aria-label="Timeline zoom and labels">
          <button type="button" aria-label="Earlier" title="Earlier" onClick={() => panBy(-0.5)}>
            ‹
          </button>
          <button type="button" aria-label="Zoom out" title="Zoom out" onClick={() => zoomBy(2)}>
            −
          </button>
          <button type="button" aria-label="Zoom in" title="Zoom in" onClick={() => zoomBy(0.5)}>
            +
          </button>
          <button type="button" aria-label="Later" title="Later" onClick={() => panBy(0.5)}>
            ›
          </button>
          <button
            type="button"
            data-testid="timeline-reset"
            disabled={!zoomed}
            title="Back to the hours that have data"
            onClick={() => setZoom(undefined)}
          >
            Reset zoom
          </button>
          <button
            type="button"
            title="Show the whole day"
            onClick={() => setZoom({ startMs: day.startMs, endMs: day.endMs })}
          >
            Whole day
          </button>
          <button
            type="button"
            aria-pressed={labelMode}
            title="While pressed, dragging across the lanes labels the range (Shift-drag does too)"
            onClick={() => setLabelMode(!labelMode)}
          >
            Label a range
          </button>
          <button
            type="button"
            onClick={() => {
              const now = Math.min(Date.now(), day.endMs)
              setPending({
                start: toTime(Math.max(day.startMs, now - 3_600_000)),
                end: toTime(now),
              })
            }}
          >
            Add label
          </button>
        </div>
      </div>
      {loaded.error ? <p class="error">{loaded.error.message}</p> : null}
      <div
        class="tl"
        data-testid="timeline"
        data-events={data?.events.length ?? 0}
        data-view-start={view.startMs}
        data-view-end={view.endMs}
      >
        <div class="tl-names" aria-hidden="true">
          <div class="tl-axis-name" />
          {rows.map((r) => (
            <div class="tl-name" title={r.title}>
              {r.title}
            </div>
          ))}
        </div>
        <div
          class={`tl-tracks${labelMode ? ' labelling' : ''}`}
          ref={tracks}
          onPointerDown={(e) => {
            if (e.button !== 0) return
            e.currentTarget.setPointerCapture(e.pointerId)
            const t = msAt(e.clientX)
            setDragBoth({ a: t, b: t, label: labelMode || e.shiftKey })
          }}
          onPointerMove={(e) => {
            setPointerMs(msAt(e.clientX))
            const d = dragRef.current
            if (d) setDragBoth({ ...d, b: msAt(e.clientX) })
          }}
          onPointerUp={(e) => {
            const d = dragRef.current
            if (!d) return
            const b = msAt(e.clientX)
            const [s, t] = d.a < b ? [d.a, b] : [b, d.a]
            setDragBoth(undefined)
            // A click is not a selection: a few pixels, and for a label at least a minute.
            if (px(t - s) < 4) return
            if (d.label) {
              if (t - s >= MINUTE_MS) setPending({ start: toTime(s), end: toTime(t) })
            } else zoomTo({ startMs: s, endMs: t })
          }}
          onPointerCancel={() => setDragBoth(undefined)}
          onWheel={(e) => {
            // Over the lanes the wheel zooms about the pointer; a sideways wheel pans.
            if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
              e.preventDefault()
              panBy(e.deltaX / Math.max(1, widthPx))
            } else if (e.deltaY !== 0) {
              e.preventDefault()
              zoomBy(Math.exp(Math.max(-1, Math.min(1, e.deltaY / 250))), msAt(e.clientX))
            }
          }}
          onMouseLeave={() => {
            setHover(undefined)
            setPointerMs(undefined)
          }}
        >
          <div class="tl-axis">
            {tickTimes.map((t) => (
              <span class="tl-tick" style={{ left: pct(t) }}>
                {clock(t)}
              </span>
            ))}
          </div>
          {rows.map((row, ri) => (
            <div
              class={`tl-lane${row.cls ? ` ${row.cls}` : ''}`}
              data-testid={row.testid}
              tabIndex={0}
              aria-label={`${row.title}: ${row.items.length} stretches; arrow keys step through them`}
              onFocus={() => {
                if (focused?.row !== ri && row.items.length > 0) setFocused({ row: ri, item: 0 })
              }}
              onKeyDown={(e) => {
                const n = row.items.length
                if (n === 0) return
                const at = focused?.row === ri ? focused.item : 0
                const next =
                  e.key === 'ArrowRight'
                    ? Math.min(n - 1, at + 1)
                    : e.key === 'ArrowLeft'
                      ? Math.max(0, at - 1)
                      : e.key === 'Home'
                        ? 0
                        : e.key === 'End'
                          ? n - 1
                          : undefined
                if (next === undefined) return
                e.preventDefault()
                setFocused({ row: ri, item: next })
                // A stretch outside the view brings the view to it.
                const item = row.items[next]
                if (item && (item.endMs <= view.startMs || item.startMs >= view.endMs)) {
                  const mid = (item.startMs + item.endMs) / 2
                  zoomTo({ startMs: mid - span / 2, endMs: mid + span / 2 })
                }
              }}
            >
              {blocks(row, view, widthPx || 1000).map((b) => {
                const lead = row.items[b.lead]
                if (!lead) return null
                const hasFocus =
                  focused?.row === ri && focused.item >= b.first && focused.item <= b.last
                return (
                  <div
                    class={`seg ${b.cls}${hasFocus ? ' focused' : ''}`}
                    data-testid={lead.testid}
                    style={{
                      left: pct(b.startMs),
                      width: pct(view.startMs + (b.endMs - b.startMs)),
                    }}
                    onMouseMove={(ev) => show(ev, lead, b.last - b.first + 1)}
                  >
                    {lead.text !== undefined && px(b.endMs - b.startMs) >= TEXT_MIN_PX ? (
                      <span class="seg-text">{lead.text}</span>
                    ) : null}
                  </div>
                )
              })}
            </div>
          ))}
          {drag ? (
            <div
              class={`tl-selection${drag.label ? ' label' : ''}`}
              style={{
                left: pct(Math.min(drag.a, drag.b)),
                width: pct(view.startMs + Math.abs(drag.b - drag.a)),
              }}
            />
          ) : null}
        </div>
        {pointerMs !== undefined && frame ? (
          <figure class="tl-thumb" data-testid="timeline-thumb">
            <img
              src={imageSrc(frame.imageUrl, ctx.session.token)}
              alt={`${frame.app}: ${frame.title}`}
            />
            <figcaption>
              {clock(frame.timestamp * 1000)} · {frame.app}
            </figcaption>
          </figure>
        ) : null}
        {hover ? (
          <div class="tooltip" role="tooltip" style={{ left: `${hover.x}px`, top: `${hover.y}px` }}>
            {hover.lines.map((l) => (
              <div>{l}</div>
            ))}
          </div>
        ) : null}
      </div>
      <p class="tl-details muted" aria-live="polite" data-testid="timeline-details">
        {focusedItem
          ? focusedItem.describe().join(' · ')
          : 'Drag across the lanes or use the wheel to zoom; Shift-drag labels a range. Hover, or focus a lane and use the arrow keys, for details.'}
      </p>
      {data && data.events.length === 0 ? (
        <p class="muted">No activity recorded this day.</p>
      ) : null}
      {pending ? (
        <form class="label-form" onSubmit={(e) => void saveLabel(e)} aria-label="New label">
          <label>
            Label{' '}
            <input
              type="text"
              required
              maxLength={1000}
              value={labelText}
              placeholder="What was this?"
              ref={textInput}
              onInput={(e) => setLabelText(e.currentTarget.value)}
            />
          </label>
          <label>
            From{' '}
            <input
              type="time"
              required
              value={pending.start}
              onInput={(e) => setPending({ ...pending, start: e.currentTarget.value })}
            />
          </label>
          <label>
            to{' '}
            <input
              type="time"
              required
              value={pending.end}
              onInput={(e) => setPending({ ...pending, end: e.currentTarget.value })}
            />
          </label>
          <button type="submit">Save label</button>
          <button type="button" onClick={() => setPending(undefined)}>
            Cancel
          </button>
          {labelError ? <span class="error">{labelError}</span> : null}
        </form>
      ) : null}
    </section>
  )
}

/** Timeline, rendered again only when its props change. */
export const Timeline = memo(TimelineCard)
