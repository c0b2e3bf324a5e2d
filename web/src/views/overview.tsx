/**
 * The overview of a period: total and change, the year at a glance, stacked bars (and their CSV),
 * the day's timeline, breakdowns, insights with the hour and weekday profiles, the input heatmap,
 * and a comparison of two periods.
 *
 * The total and the bars load first; every other card waits until the bars of the period shown
 * have arrived (`ready`), so a change of period is drawn before the rest asks the daemon anything.
 */
import { useCallback, useMemo, useRef, useState } from 'preact/hooks'
import { ApiError } from '../../../src/client/api.ts'
import {
  type ActiveFilters,
  apiFilters,
  type Ctx,
  FILTER_DIMS,
  type FilterDim,
  type Group,
  GROUPS,
} from '../context.ts'
import { formatDuration } from '../format.ts'
import { useLoad } from '../hooks.ts'
import {
  customPreset,
  dayStartMs,
  logicalDate,
  resolve,
  type Selection,
  selectionDates,
} from '../range.ts'
import { bucketsCsv } from '../csv.ts'
import { download } from '../download.ts'
import { barData, StackedBars } from './bars.tsx'
import { Breakdown, groupTotals } from './breakdowns.tsx'
import { YearCalendar } from './calendar.tsx'
import { Compare } from './compare.tsx'
import { Heatmap } from './heatmap.tsx'
import { Insights } from './insights.tsx'
import { RangePicker } from './picker.tsx'
import { ScreenSearch } from './screens.tsx'
import { Timeline } from './timeline.tsx'
import { Temporal } from 'temporal-polyfill'

const GROUP_NAMES: Record<Group, string> = {
  category: 'Category',
  project: 'Project',
  language: 'Language',
  app: 'App',
}

const BREAKDOWNS = [
  ['project', 'Projects', 'breakdown-projects'],
  ['app', 'Apps', 'breakdown-apps'],
  ['category', 'Categories', 'breakdown-categories'],
  ['language', 'Languages', 'breakdown-languages'],
  ['entity', 'Files, titles and URLs', 'breakdown-entities'],
] as const

export function Overview(props: {
  ctx: Ctx
  sel: Selection
  group: Group
  filters: ActiveFilters
  zoneOverride: string | undefined
  onSelect: (sel: Selection) => void
  onZone: (tz: string | undefined) => void
  onGroup: (g: Group) => void
  onFilters: (f: ActiveFilters) => void
}) {
  const { ctx, sel, filters } = props
  const { api, cal, tz, tick } = ctx
  const now = Date.now()
  // The range is resolved again when the selection, the calendar or the data change.
  const r = useMemo(() => resolve(sel, cal, Date.now()), [sel, cal, tick])
  const f = useMemo(() => apiFilters(filters), [filters])
  const fKey = JSON.stringify(f)
  const preset = customPreset(r.startMs, r.endMs)

  const totals = useLoad(
    async (signal) => {
      const [current, previous] = await Promise.all([
        api.total({ preset, tz, ...f }, signal),
        api.total({ preset: customPreset(r.prevStartMs, r.prevEndMs), tz, ...f }, signal),
      ])
      return { current, previous }
    },
    [api, r.startMs, r.endMs, tz, fKey, tick],
  )

  // What the secondary cards wait for: the bars of this period, filters and zone (whatever the
  // grouping, so a change of grouping reloads the bars alone).
  const rangeKey = `${r.startMs} ${r.endMs} ${tz} ${fKey} ${tick}`
  const drawKey = `${r.startMs} ${r.endMs} ${r.bucket} ${tz} ${props.group} ${fKey}`
  const bars = useLoad(
    async (signal) => ({
      rangeKey,
      drawKey,
      unit: r.bucket,
      data: barData(
        await api.buckets(
          { preset: customPreset(r.startMs, r.endMs, r.bucket), tz, groupBy: props.group, ...f },
          signal,
        ),
        r,
        r.bucket,
        cal,
      ),
    }),
    [api, r.startMs, r.endMs, r.bucket, tz, props.group, fKey, tick],
  )
  // Ready once the bars of this range are drawn, not merely loaded: the cards' renders and
  // requests come after the chart's first frame. The timeline takes the bars' colours then too.
  const [drawn, setDrawn] = useState<
    { range: string; categories: readonly string[] | undefined } | undefined
  >(undefined)
  const ready =
    (bars.data?.rangeKey === rangeKey && drawn?.range === rangeKey) || bars.error !== undefined
  const onDrawn = () => {
    const loaded = bars.data
    if (!loaded) return
    const categories = props.group === 'category' ? loaded.data.groups : undefined
    setDrawn((prev) =>
      prev?.range === loaded.rangeKey && prev.categories === categories
        ? prev
        : { range: loaded.rangeKey, categories },
    )
  }

  const drill = filters.project !== undefined
  const breakdowns = useLoad(
    async (signal) => {
      const dims = [...BREAKDOWNS.map(([d]) => d), ...(drill ? (['branch'] as const) : [])]
      const rows = await Promise.all(
        dims.map((groupBy) =>
          api.buckets(
            { preset: customPreset(r.startMs, r.endMs, 'year'), tz, groupBy, ...f },
            signal,
          ),
        ),
      )
      return Object.fromEntries(dims.map((d, i) => [d, groupTotals(rows[i] ?? [])]))
    },
    [api, r.startMs, r.endMs, tz, fKey, drill, tick],
    ready,
  )

  // The timeline's day: the period's own when it is one day, else one picked inside it.
  const dates = useMemo(() => selectionDates(sel), [sel])
  const [first, last] = dates
  const today = logicalDate(now, cal).toString()
  const defaultDay = last < today ? last : today < first ? first : today
  const [pickedDay, setPickedDay] = useState<string | undefined>(undefined)
  const day =
    pickedDay !== undefined && pickedDay >= first && pickedDay <= last ? pickedDay : defaultDay
  const dayRange = useMemo(() => {
    const dayDate = Temporal.PlainDate.from(day)
    return {
      date: day,
      startMs: dayStartMs(dayDate, cal),
      endMs: dayStartMs(dayDate.add({ days: 1 }), cal),
    }
  }, [day, cal])

  const pick = (dim: FilterDim, name: string) => {
    const others = Object.entries(filters).filter(([d]) => d !== dim)
    props.onFilters(Object.fromEntries(filters[dim] === name ? others : [...others, [dim, name]]))
  }
  // The cards are handed callbacks that keep their identity (so they render again only when their
  // data change) and act on the filters of the moment.
  const latest = useRef({ pick, onSelect: props.onSelect })
  latest.current = { pick, onSelect: props.onSelect }
  const pickers = useMemo(
    () =>
      Object.fromEntries(
        (Object.keys(FILTER_DIMS) as FilterDim[]).map((dim) => [
          dim,
          (name: string) => latest.current.pick(dim, name),
        ]),
      ) as Record<FilterDim, (name: string) => void>,
    [],
  )
  const openDay = useCallback((date: string) => latest.current.onSelect({ unit: 'day', date }), [])

  const t = totals.data
  const change = t ? t.current - t.previous : 0
  const pctChange = t && t.previous > 0 ? Math.round((change / t.previous) * 100) : undefined
  const filterEntries = Object.entries(filters) as [FilterDim, string][]

  // What the cards below the chart show: this period once its bars are drawn, the last one until
  // then. So a change of period renders nothing of theirs before the chart's request goes out.
  const current = { r, dates, dayRange, f, total: t?.current ?? 0 }
  const deferred = useRef(current)
  if (ready) deferred.current = current
  const shown = deferred.current
  // The cards themselves are first built once the first chart is drawn: a year of calendar days
  // and the timeline's lanes would otherwise stand between the page's start and its first request.
  const primed = useRef(false)
  if (ready) primed.current = true

  const barRows = bars.data?.data
  const exportCsv = () => {
    if (!barRows) return
    const filterPart = filterEntries.map(([dim, v]) => `_${dim}-${v}`).join('')
    const name = `daybook_${first}${first === last ? '' : `_${last}`}_by-${props.group}${filterPart}`
    download(`${name.replace(/[^\w.-]+/g, '-')}.csv`, bucketsCsv(barRows.rows, props.group))
  }

  return (
    <main>
      <RangePicker
        sel={sel}
        resolved={r}
        cal={cal}
        tz={tz}
        zoneOverridden={props.zoneOverride !== undefined}
        onSelect={props.onSelect}
        onZone={props.onZone}
      />
      {filterEntries.length > 0 ? (
        <div class="filters" role="group" aria-label="Filters">
          <span>Showing only</span>
          {filterEntries.map(([dim, v]) => (
            <button
              type="button"
              class="chip"
              data-testid="filter-chip"
              onClick={() => pick(dim, v)}
            >
              {dim} {v === '' ? '(none)' : v} <span aria-label="remove filter">×</span>
            </button>
          ))}
          <button type="button" class="link" onClick={() => props.onFilters({})}>
            Clear
          </button>
        </div>
      ) : null}
      <div class="cards">
        <section class="card total" aria-label="Total active time" aria-busy={totals.loading}>
          <div class="big" data-testid="total-active" aria-live="polite">
            {t ? formatDuration(t.current) : totals.error ? '—' : '…'}
          </div>
          <div class="muted">active</div>
          {t ? (
            <div
              class={`change ${change > 0 ? 'up' : change < 0 ? 'down' : ''}`}
              data-testid="total-change"
            >
              {change === 0
                ? '±0'
                : `${change > 0 ? '▲ +' : '▼ −'}${formatDuration(Math.abs(change))}`}
              {pctChange !== undefined ? ` (${pctChange > 0 ? '+' : ''}${pctChange}%)` : ''} vs the
              previous period{r.prevCut ? ' up to the same point' : ''} (
              {formatDuration(t.previous)})
            </div>
          ) : null}
          {totals.error ? <p class="error">{totals.error.message}</p> : null}
        </section>
        {primed.current ? (
          <YearCalendar
            ctx={ctx}
            year={Number(shown.dates[0].slice(0, 4))}
            filters={shown.f}
            selected={shown.dates}
            ready={ready}
            onPick={openDay}
          />
        ) : (
          <section class="card year wide" aria-label="The year at a glance" aria-busy="true">
            <h3>{first.slice(0, 4)} at a glance</h3>
          </section>
        )}
      </div>
      <section class="card" aria-label="Active time over the period" aria-busy={bars.loading}>
        <div class="card-head">
          <h3>Per {r.bucket}</h3>
          <div class="row">
            <div role="radiogroup" aria-label="Stack by" class="seg-control">
              {GROUPS.map((g) => (
                <button
                  type="button"
                  role="radio"
                  aria-checked={props.group === g}
                  onClick={() => props.onGroup(g)}
                >
                  {GROUP_NAMES[g]}
                </button>
              ))}
            </div>
            <button
              type="button"
              data-testid="export-csv"
              disabled={!barRows}
              title="The active time of this view per bucket and group, as a CSV file"
              onClick={exportCsv}
            >
              Export CSV
            </button>
          </div>
        </div>
        {bars.error ? <p class="error">{bars.error.message}</p> : null}
        {barRows ? (
          <StackedBars
            data={barRows}
            unit={bars.data?.unit ?? r.bucket}
            groupLabel={GROUP_NAMES[props.group].toLowerCase()}
            active={filters[props.group]}
            drawKey={bars.data?.drawKey ?? drawKey}
            onPick={(g) => pick(props.group, g)}
            onDrawn={onDrawn}
          />
        ) : (
          <p class="muted">Loading…</p>
        )}
      </section>
      {primed.current ? (
        <>
          <ScreenSearch
            api={api}
            token={ctx.session.token}
            timeZone={tz}
            onJump={(ms) => {
              const date = logicalDate(ms, cal).toString()
              props.onSelect({ unit: 'day', date })
              setPickedDay(date)
              document.querySelector('[data-testid="timeline"]')?.scrollIntoView()
            }}
          />
          {first !== last ? (
            <label class="day-pick">
              Timeline day{' '}
              <input
                type="date"
                min={first}
                max={last}
                value={day}
                onInput={(e) => e.currentTarget.value !== '' && setPickedDay(e.currentTarget.value)}
              />
            </label>
          ) : null}
          <Timeline
            ctx={ctx}
            day={shown.dayRange}
            filters={shown.f}
            categoryOrder={drawn?.categories}
            ready={ready}
          />
          <div class="cards" aria-busy={breakdowns.loading}>
            {BREAKDOWNS.map(([dim, title, testid]) => (
              <Breakdown
                title={title}
                testid={testid}
                rows={breakdowns.data?.[dim]}
                total={shown.total}
                all={dim === 'project'}
                wide={dim === 'entity'}
                active={filters[dim]}
                error={breakdowns.error}
                onPick={pickers[dim]}
              />
            ))}
            {drill ? (
              <Breakdown
                title={`Branches of ${filters.project ?? ''}`}
                testid="breakdown-branches"
                rows={breakdowns.data?.branch}
                total={shown.total}
                active={filters.branch}
                onPick={pickers.branch}
              />
            ) : null}
          </div>
          <div class="cards pairs">
            <Insights
              ctx={ctx}
              insightRange={shown.r.insightRange}
              dates={shown.dates}
              filters={shown.f}
              ready={ready}
            />
            <Heatmap ctx={ctx} range={shown.r} ready={ready} />
          </div>
          <Compare
            ctx={ctx}
            resolved={shown.r}
            dates={shown.dates}
            filters={shown.f}
            ready={ready}
          />
        </>
      ) : null}
    </main>
  )
}

export function isNotFound(e: Error | undefined): boolean {
  return e instanceof ApiError && e.status === 404
}
