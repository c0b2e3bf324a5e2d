/**
 * The day's timeline: a lane per source (per device and source when there are several devices),
 * AFK periods, input intensity and labels; hover shows what was going on; dragging across the
 * lanes (or "Add label") labels a stretch of time.
 */
import { Temporal } from 'temporal-polyfill'
import { useEffect, useRef, useState } from 'preact/hooks'
import type { FullEvent, Label } from '../../../src/client/api.ts'
import { splitRange } from '../../../src/domain/calendar.ts'
import type { Ctx } from '../context.ts'
import { formatClock, formatDuration } from '../format.ts'
import { useLoad } from '../hooks.ts'
import { PALETTE } from '../palette.ts'
import type { Filters } from '../../../src/client/api.ts'
import { customPreset } from '../range.ts'
import { imageSrc, useNearestFrame } from './screens.tsx'

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

interface Row {
  title: string
  cls?: string
  testid?: string
  items: {
    startMs: number
    endMs: number
    cls: string
    lines: string[]
    text?: string
    testid?: string
  }[]
}

interface Hover {
  x: number
  y: number
  lines: string[]
}

export function Timeline(props: {
  ctx: Ctx
  day: { startMs: number; endMs: number; date: string }
  filters: Filters
  onDrawn?: () => void
}) {
  const { ctx, day } = props
  const { api, tz, cal } = ctx
  const span = day.endMs - day.startMs
  const pct = (ms: number) => `${(((ms - day.startMs) / span) * 100).toFixed(3)}%`
  const filterKey = JSON.stringify(props.filters)
  const loaded = useLoad(
    async (signal) => {
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
  )
  const [hover, setHover] = useState<Hover | undefined>(undefined)
  const [pointerMs, setPointerMs] = useState<number | undefined>(undefined)
  const frame = useNearestFrame(api, pointerMs)
  const [drag, setDrag] = useState<{ a: number; b: number } | undefined>(undefined)
  // The handlers read the drag from a ref: pointer events can arrive faster than renders, and a
  // render's closure would still see the drag before the last event.
  const dragRef = useRef<{ a: number; b: number } | undefined>(undefined)
  const setDragBoth = (d: { a: number; b: number } | undefined) => {
    dragRef.current = d
    setDrag(d)
  }
  const [pending, setPending] = useState<{ start: string; end: string } | undefined>(undefined)
  const [labelText, setLabelText] = useState('')
  const [labelError, setLabelError] = useState<string | undefined>(undefined)
  const [added, setAdded] = useState<Label[]>([])
  const [focused, setFocused] = useState<{ row: number; item: number } | undefined>(undefined)
  const tracks = useRef<HTMLDivElement>(null)
  const textInput = useRef<HTMLInputElement>(null)
  const formOpen = pending !== undefined
  useEffect(() => {
    if (formOpen) textInput.current?.focus()
  }, [formOpen])

  const data = loaded.data
  const lanes = data ? lanesOf(data.events, day) : []
  // Colours as the bars give them: categories by their time in the day, largest first.
  const categories = rankCategories(data?.events ?? [])
  const hours = splitRange(day, 'hour', cal)
  const labels = [
    ...(data?.labels ?? []),
    ...added.filter((a) => !data?.labels.some((l) => l.id === a.id)),
  ]

  const clock = (ms: number) => formatClock(ms, tz)
  const msAt = (clientX: number) => {
    const r = tracks.current?.getBoundingClientRect()
    if (!r || r.width === 0) return day.startMs
    const f = Math.min(1, Math.max(0, (clientX - r.left) / r.width))
    return day.startMs + f * span
  }
  const toTime = (ms: number) => clock(ms)
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
  const show = (e: MouseEvent, lines: string[]) => {
    const box = tracks.current?.parentElement?.getBoundingClientRect()
    setHover({ x: e.clientX - (box?.left ?? 0) + 12, y: e.clientY - (box?.top ?? 0) + 12, lines })
  }

  // Every lane as rows of stretches, each with what hovering (or the arrow keys) tells about it.
  const inputRows = data?.input?.rows ?? []
  const weight = (r: (typeof inputRows)[number]) => r.kp + r.lc + r.rc + r.mc + r.scroll
  const maxInput = Math.max(1, ...inputRows.map(weight))
  const rows: Row[] = [
    ...lanes.map((lane) => ({
      title: lane.title,
      items: lane.segments.map((seg) => {
        const e = seg.event
        return {
          startMs: seg.startMs,
          endMs: seg.endMs,
          cls: `c${Math.min(categories.indexOf(e.category), PALETTE.length - 1)}`,
          lines: [
            `${clock(seg.startMs)}–${clock(seg.endMs)} (${formatDuration((seg.endMs - seg.startMs) / 1000)})`,
            `${e.category}${e.app ? ` · ${e.app}` : ''}`,
            ...(e.entity ? [e.entity] : []),
            ...(e.project ? [`project ${e.project}${e.branch ? ` (${e.branch})` : ''}`] : []),
            ...(e.language ? [`language ${e.language}`] : []),
            `${e.source}${e.device ? ` on ${e.device}` : ''}`,
          ],
        }
      }),
    })),
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
            lines: [
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
            lines: [
              `${clock(r.t)}–${clock(r.t + 300_000)}`,
              `${r.kp} keys, ${r.lc + r.rc + r.mc} clicks, ${r.scroll} scrolls`,
            ],
          },
        ]
      }),
    },
    {
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
            lines: [l.text, `${clock(st)}–${clock(t)}`, ...(l.context ? [l.context] : [])],
          },
        ]
      }),
    },
  ]
  const focusedItem = focused === undefined ? undefined : rows[focused.row]?.items[focused.item]

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
        <h3>Timeline · {day.date}</h3>
        <button
          type="button"
          onClick={() => {
            const now = Math.min(Date.now(), day.endMs)
            setPending({ start: toTime(Math.max(day.startMs, now - 3_600_000)), end: toTime(now) })
          }}
        >
          Add label
        </button>
      </div>
      {loaded.error ? <p class="error">{loaded.error.message}</p> : null}
      <div class="tl" data-testid="timeline" data-events={data?.events.length ?? 0}>
        <div class="tl-names" aria-hidden="true">
          <div class="tl-axis-name" />
          {rows.map((r) => (
            <div class="tl-name" title={r.title}>
              {r.title}
            </div>
          ))}
        </div>
        <div
          class="tl-tracks"
          ref={tracks}
          onPointerDown={(e) => {
            if (e.button !== 0) return
            e.currentTarget.setPointerCapture(e.pointerId)
            const t = msAt(e.clientX)
            setDragBoth({ a: t, b: t })
          }}
          onPointerMove={(e) => {
            setPointerMs(msAt(e.clientX))
            const d = dragRef.current
            if (d) setDragBoth({ a: d.a, b: msAt(e.clientX) })
          }}
          onPointerUp={(e) => {
            const d = dragRef.current
            if (!d) return
            const b = msAt(e.clientX)
            const [s, t] = d.a < b ? [d.a, b] : [b, d.a]
            setDragBoth(undefined)
            // A click is not a selection: at least a minute of the day.
            if (t - s >= 60_000) setPending({ start: toTime(s), end: toTime(t) })
          }}
          onPointerCancel={() => setDragBoth(undefined)}
          onMouseLeave={() => {
            setHover(undefined)
            setPointerMs(undefined)
          }}
        >
          <div class="tl-axis">
            {hours
              .filter((_, i) => i % 3 === 0)
              .map((h) => (
                <span class="tl-tick" style={{ left: pct(h.startMs) }}>
                  {h.label.slice(11, 16)}
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
              }}
            >
              {row.items.map((item, ii) => (
                <div
                  class={`seg ${item.cls}${focused?.row === ri && focused.item === ii ? ' focused' : ''}`}
                  data-testid={item.testid}
                  style={{
                    left: pct(item.startMs),
                    width: pct(day.startMs + (item.endMs - item.startMs)),
                  }}
                  onMouseMove={(ev) => show(ev, item.lines)}
                >
                  {item.text}
                </div>
              ))}
            </div>
          ))}
          {drag ? (
            <div
              class="tl-selection"
              style={{
                left: pct(Math.min(drag.a, drag.b)),
                width: pct(day.startMs + Math.abs(drag.b - drag.a)),
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
          ? focusedItem.lines.join(' · ')
          : 'Hover over the lanes, or focus one and use the arrow keys, for details.'}
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
