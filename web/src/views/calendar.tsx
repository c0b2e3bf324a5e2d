/**
 * A year at a glance: active time per day, weeks in columns (Monday at the top), shaded by the
 * quartiles of the active days. Clicking a day (or Enter on it; the arrow keys move between days)
 * opens it.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { Temporal } from 'temporal-polyfill'
import type { Filters } from '../../../src/client/api.ts'
import type { Ctx } from '../context.ts'
import { count, formatDate, formatDuration } from '../format.ts'
import { useLoad } from '../hooks.ts'
import { dayLevels, dayTotals } from '../profile.ts'
import { customPreset, dayStartMs, logicalDate } from '../range.ts'
import { memo } from '../memo.ts'

const pd = (s: string) => Temporal.PlainDate.from(s)

function YearCalendarCard(props: {
  ctx: Ctx
  year: number
  filters: Filters
  /** The logical dates shown by the page, first and last: outlined. */
  selected: [string, string]
  ready: boolean
  onPick: (date: string) => void
}) {
  const { api, tz, tick, cal } = props.ctx
  const { year } = props
  const fKey = JSON.stringify(props.filters)
  const loaded = useLoad(
    async (signal) => {
      const startMs = dayStartMs(pd(`${year}-01-01`), cal)
      const endMs = dayStartMs(pd(`${year + 1}-01-01`), cal)
      const rows = await api.buckets(
        { preset: customPreset(startMs, endMs, 'day'), tz, ...props.filters },
        signal,
      )
      return dayTotals(rows)
    },
    [api, year, tz, cal, fKey, tick],
    props.ready,
  )
  const totals = loaded.data
  const levels = useMemo(() => dayLevels(totals ?? new Map()), [totals])
  const today = logicalDate(Date.now(), cal).toString()

  // The year's days, placed in weeks from the Monday on or before 1 January (plain UTC date
  // arithmetic: calendar dates, no zone; Temporal's polyfill is slow for a year of days).
  const layout = useMemo(() => {
    const jan1 = Date.UTC(year, 0, 1)
    const n = (Date.UTC(year + 1, 0, 1) - jan1) / 86_400_000
    const offset = (new Date(jan1).getUTCDay() + 6) % 7
    const days = Array.from({ length: n }, (_, i) => {
      const d = new Date(jan1 + i * 86_400_000)
      return {
        date: d.toISOString().slice(0, 10),
        col: Math.floor((i + offset) / 7),
        row: (d.getUTCDay() + 6) % 7,
      }
    })
    const months = days
      .filter((d) => d.date.endsWith('-01'))
      .map((d) => ({ col: d.col, name: formatDate(d.date, { month: 'short' }) }))
    return { days, months, weeks: Math.ceil((n + offset) / 7) }
  }, [year])
  const lastDay = `${year}-12-31` < today ? `${year}-12-31` : today
  // The days shown are outlined, unless they are the whole year.
  const outline = !(props.selected[0] === `${year}-01-01` && props.selected[1] === `${year}-12-31`)
  const inYear = (date: string) => date >= `${year}-01-01` && date <= lastDay

  const [first, last] = props.selected
  const [focus, setFocus] = useState<string | undefined>(undefined)
  // The roving focus: the day last moved to, else the first day shown (the latest, for the year).
  const current =
    focus !== undefined && inYear(focus)
      ? focus
      : outline && inYear(first)
        ? first
        : inYear(last)
          ? last
          : lastDay >= `${year}-01-01`
            ? lastDay
            : `${year}-01-01`
  const grid = useRef<HTMLDivElement>(null)
  const moved = useRef(false)
  // Where the year does not fit (a phone), it scrolls: to the days shown, not to January.
  useEffect(() => {
    const el = grid.current
    const scroller = el?.parentElement
    const day = el?.querySelector<HTMLElement>(`[data-date="${current}"]`)
    if (!scroller || !day || scroller.scrollWidth <= scroller.clientWidth) return
    scroller.scrollLeft = day.offsetLeft - scroller.clientWidth / 2
  }, [year, current, totals])
  useEffect(() => {
    if (!moved.current) return
    moved.current = false
    grid.current?.querySelector<HTMLButtonElement>(`[data-date="${current}"]`)?.focus()
  }, [current])

  const total = totals ? [...totals.values()].reduce((a, b) => a + b, 0) : 0
  const activeDays = totals ? [...totals.values()].filter((s) => s > 0).length : 0
  const dayText = (date: string, s: number) =>
    `${formatDate(date, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' })}: ${s > 0 ? formatDuration(s) : 'nothing recorded'}`

  return (
    <section
      class="card year wide"
      aria-label={`${year} at a glance`}
      aria-busy={loaded.loading}
      data-testid="year-calendar"
    >
      <div class="card-head">
        <h3>{year} at a glance</h3>
        <span class="muted" data-testid="year-total">
          {totals ? `${formatDuration(total)} on ${count(activeDays, 'active day')}` : ''}
        </span>
      </div>
      {loaded.error ? <p class="error">{loaded.error.message}</p> : null}
      <div class="cal-scroll">
        <div
          class="cal"
          ref={grid}
          role="group"
          aria-label={`Active time per day in ${year}: arrow keys move between days, Enter opens one`}
          style={{ gridTemplateColumns: `2.4em repeat(${layout.weeks}, minmax(10px, 1fr))` }}
          onKeyDown={(e) => {
            const step: Record<string, number> = {
              ArrowUp: -1,
              ArrowDown: 1,
              ArrowLeft: -7,
              ArrowRight: 7,
            }
            const by = step[e.key]
            if (by === undefined) return
            e.preventDefault()
            const next = pd(current).add({ days: by }).toString()
            if (!inYear(next)) return
            moved.current = true
            setFocus(next)
          }}
        >
          {layout.months.map((m) => (
            <span class="cal-month" style={{ gridColumn: String(m.col + 2), gridRow: '1' }}>
              {m.name}
            </span>
          ))}
          {[0, 2, 4].map((row) => (
            <span class="cal-weekday" style={{ gridColumn: '1', gridRow: String(row + 2) }}>
              {formatDate(`2024-01-0${row + 1}`, { weekday: 'short' })}
            </span>
          ))}
          {/* The days once their times are known: nothing to draw before, and the page's first
              chart is not kept waiting for a year of buttons. */}
          {totals ? null : (
            <span class="cal-placeholder" style={{ gridColumn: '2', gridRow: '2 / 9' }} />
          )}
          {(totals ? layout.days : []).map((d) => {
            const place = { gridColumn: String(d.col + 2), gridRow: String(d.row + 2) }
            if (d.date > lastDay) return <span class="cal-day future" style={place} />
            const s = totals?.get(d.date) ?? 0
            const text = dayText(d.date, s)
            const shown = outline && d.date >= first && d.date <= last
            return (
              <button
                type="button"
                class={`cal-day l${levels.get(d.date) ?? 0}${shown ? ' shown' : ''}${d.date === today ? ' today' : ''}`}
                style={place}
                data-date={d.date}
                data-seconds={s}
                tabIndex={d.date === current ? 0 : -1}
                aria-label={text}
                title={text}
                onClick={() => {
                  setFocus(d.date)
                  props.onPick(d.date)
                }}
              />
            )
          })}
        </div>
      </div>
      <div class="cal-key muted" aria-hidden="true">
        Less <span class="cal-day l0" /> <span class="cal-day l1" /> <span class="cal-day l2" />{' '}
        <span class="cal-day l3" /> <span class="cal-day l4" /> More
      </div>
    </section>
  )
}

/** YearCalendar, rendered again only when its props change. */
export const YearCalendar = memo(YearCalendarCard)
