/**
 * The overview of a period: total and change, the year at a glance, stacked bars (and their CSV),
 * the day's timeline, breakdowns, insights with the hour and weekday profiles, the input heatmap,
 * and a comparison of two periods.
 *
 * The total and the bars load first; every other card waits until the bars of the period shown
 * have arrived (`ready`), so a change of period is drawn before the rest asks the daemon anything.
 */
import { useMemo, useState } from 'preact/hooks'
import { ApiError } from '../../../src/client/api.ts'
import {
  type ActiveFilters,
  apiFilters,
  type Ctx,
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
  const f = apiFilters(filters)
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
  const ready = bars.data?.rangeKey === rangeKey || bars.error !== undefined

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
  const dates = selectionDates(sel)
  const [first, last] = dates
  const today = logicalDate(now, cal).toString()
  const defaultDay = last < today ? last : today < first ? first : today
  const [pickedDay, setPickedDay] = useState<string | undefined>(undefined)
  const day =
    pickedDay !== undefined && pickedDay >= first && pickedDay <= last ? pickedDay : defaultDay
  const dayDate = Temporal.PlainDate.from(day)
  const dayRange = {
    date: day,
    startMs: dayStartMs(dayDate, cal),
    endMs: dayStartMs(dayDate.add({ days: 1 }), cal),
  }

  const pick = (dim: FilterDim, name: string) => {
    const others = Object.entries(filters).filter(([d]) => d !== dim)
    props.onFilters(Object.fromEntries(filters[dim] === name ? others : [...others, [dim, name]]))
  }

  const t = totals.data
  const change = t ? t.current - t.previous : 0
  const pctChange = t && t.previous > 0 ? Math.round((change / t.previous) * 100) : undefined
  const filterEntries = Object.entries(filters) as [FilterDim, string][]

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
        <YearCalendar
          ctx={ctx}
          year={Number(first.slice(0, 4))}
          filters={f}
          selected={dates}
          ready={ready}
          onPick={(date) => props.onSelect({ unit: 'day', date })}
        />
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
            unit={r.bucket}
            groupLabel={GROUP_NAMES[props.group].toLowerCase()}
            active={filters[props.group]}
            drawKey={drawKey}
            onPick={(g) => pick(props.group, g)}
          />
        ) : (
          <p class="muted">Loading…</p>
        )}
      </section>
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
        day={dayRange}
        filters={f}
        categoryOrder={props.group === 'category' ? barRows?.groups : undefined}
        ready={ready}
      />
      <div class="cards" aria-busy={breakdowns.loading}>
        {BREAKDOWNS.map(([dim, title, testid]) => (
          <Breakdown
            title={title}
            testid={testid}
            rows={breakdowns.data?.[dim]}
            total={t?.current ?? 0}
            all={dim === 'project'}
            wide={dim === 'entity'}
            active={filters[dim]}
            error={breakdowns.error}
            onPick={(name) => pick(dim, name)}
          />
        ))}
        {drill ? (
          <Breakdown
            title={`Branches of ${filters.project ?? ''}`}
            testid="breakdown-branches"
            rows={breakdowns.data?.branch}
            total={t?.current ?? 0}
            active={filters.branch}
            onPick={(name) => pick('branch', name)}
          />
        ) : null}
      </div>
      <div class="cards pairs">
        <Insights ctx={ctx} insightRange={r.insightRange} dates={dates} filters={f} ready={ready} />
        <Heatmap ctx={ctx} range={r} ready={ready} />
      </div>
      <Compare ctx={ctx} resolved={r} dates={dates} filters={f} ready={ready} />
    </main>
  )
}

export function isNotFound(e: Error | undefined): boolean {
  return e instanceof ApiError && e.status === 404
}
