/**
 * The overview of a period: total and change, stacked bars, breakdowns, the day's timeline,
 * insights and the input heatmap.
 */
import { useEffect, useMemo, useState } from 'preact/hooks'
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
import { barData, StackedBars } from './bars.tsx'
import { Breakdown, groupTotals } from './breakdowns.tsx'
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
  ['language', 'Languages', 'breakdown-languages'],
  ['category', 'Categories', 'breakdown-categories'],
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

  const bars = useLoad(
    async (signal) =>
      barData(
        await api.buckets(
          { preset: customPreset(r.startMs, r.endMs, r.bucket), tz, groupBy: props.group, ...f },
          signal,
        ),
        r,
        r.bucket,
        cal,
      ),
    [api, r.startMs, r.endMs, r.bucket, tz, props.group, fKey, tick],
  )

  // The rest waits for the first chart: a browser runs six requests at a time per server, and
  // the total and the bars are what a person looks at first.
  const [primed, setPrimed] = useState(false)
  useEffect(() => {
    if (bars.data !== undefined || bars.error !== undefined) setPrimed(true)
  }, [bars.data, bars.error])

  const drill = filters.project !== undefined
  const breakdowns = useLoad(
    async (signal) => {
      if (!primed) return undefined
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
    [api, r.startMs, r.endMs, tz, fKey, drill, tick, primed],
  )

  // The timeline's day: the period's own when it is one day, else one picked inside it.
  const [first, last] = selectionDates(sel)
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
            previous period{r.prevCut ? ' up to the same point' : ''} ({formatDuration(t.previous)})
          </div>
        ) : null}
        {totals.error ? <p class="error">{totals.error.message}</p> : null}
      </section>
      <section class="card" aria-label="Active time over the period" aria-busy={bars.loading}>
        <div class="card-head">
          <h3>Per {r.bucket}</h3>
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
        </div>
        {bars.error ? <p class="error">{bars.error.message}</p> : null}
        {bars.data ? (
          <StackedBars
            data={bars.data}
            unit={r.bucket}
            groupLabel={GROUP_NAMES[props.group].toLowerCase()}
            active={filters[props.group]}
            onPick={(g) => pick(props.group, g)}
          />
        ) : (
          <p class="muted">Loading…</p>
        )}
      </section>
      <div class="grid" aria-busy={!primed || breakdowns.loading}>
        {BREAKDOWNS.map(([dim, title, testid]) => (
          <Breakdown
            title={title}
            testid={testid}
            rows={breakdowns.data?.[dim]}
            total={t?.current ?? 0}
            all={dim === 'project'}
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
      {primed ? (
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
          <Timeline ctx={ctx} day={dayRange} filters={f} />
          <div class="grid">
            <Insights ctx={ctx} insightRange={r.insightRange} filters={f} />
            <Heatmap ctx={ctx} range={r} />
          </div>
        </>
      ) : null}
    </main>
  )
}

export function isNotFound(e: Error | undefined): boolean {
  return e instanceof ApiError && e.status === 404
}
