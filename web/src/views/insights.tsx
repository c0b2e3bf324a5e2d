/**
 * Insights: streak, most active day and daily average; the hour-of-day profile and the weekday
 * profile, each a chart with labelled axes.
 */
import { useMemo } from 'preact/hooks'
import { Temporal } from 'temporal-polyfill'
import type { Filters } from '../../../src/client/api.ts'
import { addPeriods } from '../../../src/domain/periods.ts'
import type { Ctx } from '../context.ts'
import { count, formatDate, formatDuration, formatHour } from '../format.ts'
import { useLoad } from '../hooks.ts'
import { dayTotals, weekdayProfile } from '../profile.ts'
import { customPreset, dayStartMs, logicalDate } from '../range.ts'
import { ColumnChart } from './charts.tsx'
import { memo } from '../memo.ts'

/** 2024-01-01 was a Monday: the weekdays' names come from the week it starts. */
const WEEKDAY_DATES = Array.from({ length: 7 }, (_, i) => `2024-01-0${i + 1}`)

/** A profile's card: its name, what it averages over, and the chart once the values are in. */
function ProfileCard(props: {
  name: string
  wide?: boolean
  busy: boolean
  testid: string
  caption: string
  title: string
  labels: readonly string[]
  names: readonly string[]
  values: readonly number[] | undefined
  xTitle: string
}) {
  return (
    <section
      class={`card chart-card${props.wide ? ' wide' : ''}`}
      aria-label={props.name}
      aria-busy={props.busy}
      data-testid={props.testid}
    >
      <h3>{props.name}</h3>
      <p class="muted small">{props.caption}</p>
      {props.values ? (
        <ColumnChart
          title={props.title}
          labels={props.labels}
          names={props.names}
          values={props.values}
          xTitle={props.xTitle}
          yTitle="Average"
          testid={`${props.testid}-table`}
        />
      ) : null}
    </section>
  )
}

function InsightCards(props: {
  ctx: Ctx
  insightRange: string | undefined
  /** The logical dates shown, first and last. */
  dates: [string, string]
  filters: Filters
  ready: boolean
}) {
  const { api, tz, tick, cal } = props.ctx
  const range = props.insightRange
  // A day's most active day and weekday profile are the day itself: ask about its month.
  const oneDay = props.dates[0] === props.dates[1]
  const mostRange = range !== undefined && range.length === 10 ? range.slice(0, 7) : range
  const [weekFirst, weekLast] = oneDay
    ? [
        `${props.dates[0].slice(0, 7)}-01`,
        addPeriods(Temporal.PlainDate.from(`${props.dates[0].slice(0, 7)}-01`), 'month', 1)
          .subtract({ days: 1 })
          .toString(),
      ]
    : props.dates
  const fKey = JSON.stringify(props.filters)
  const loaded = useLoad(
    async (signal) => {
      const base = { tz, ...props.filters }
      const named = range === undefined ? {} : { insightRange: range }
      const startMs = dayStartMs(Temporal.PlainDate.from(weekFirst), cal)
      const endMs = dayStartMs(Temporal.PlainDate.from(weekLast).add({ days: 1 }), cal)
      const [streak, average, hours, most, perDay] = await Promise.all([
        api.insight({ insightType: 'streak', ...base }, signal),
        api.insight({ insightType: 'dailyAverage', ...named, ...base }, signal),
        api.insight({ insightType: 'hourOfDay', ...named, ...base }, signal),
        mostRange === undefined
          ? Promise.resolve(undefined)
          : api.insight({ insightType: 'mostActiveDay', insightRange: mostRange, ...base }, signal),
        api.buckets({ preset: customPreset(startMs, endMs, 'day'), ...base }, signal),
      ])
      return {
        streak: 'streak' in streak ? streak.streak : undefined,
        average: 'dailyAverage' in average ? average.dailyAverage : undefined,
        hours: 'hourOfDay' in hours ? hours.hourOfDay : [],
        most: most && 'mostActiveDay' in most ? most.mostActiveDay : undefined,
        weekdays: weekdayProfile(
          dayTotals(perDay),
          weekFirst,
          weekLast,
          logicalDate(Date.now(), cal).toString(),
        ),
      }
    },
    [api, range, weekFirst, weekLast, tz, cal, fKey, tick],
    props.ready,
  )
  const d = loaded.data
  const hourLabels = useMemo(() => Array.from({ length: 24 }, (_, h) => formatHour(h)), [])
  const hourNames = useMemo(
    () => Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}:00`),
    [],
  )
  const hourValues = useMemo(
    () =>
      Array.from({ length: 24 }, (_, h) => d?.hours.find((x) => x.hour === h)?.averageSeconds ?? 0),
    [d],
  )
  const dayLabels = useMemo(() => WEEKDAY_DATES.map((x) => formatDate(x, { weekday: 'short' })), [])
  const dayNames = useMemo(() => WEEKDAY_DATES.map((x) => formatDate(x, { weekday: 'long' })), [])
  const dayValues = useMemo(() => d?.weekdays.map((w) => w.averageSeconds) ?? [], [d])
  const over = range === undefined ? 'all recorded time' : oneDay ? 'this day' : 'this period'
  const weekOver = oneDay
    ? formatDate(weekFirst, { month: 'long', year: 'numeric' })
    : 'the days of this period'
  return (
    <>
      <section class="card insights" aria-label="Insights" aria-busy={loaded.loading}>
        <h3>Insights</h3>
        {loaded.error ? <p class="error">{loaded.error.message}</p> : null}
        {d ? (
          <dl class="facts">
            <div>
              <dt>Current streak</dt>
              <dd data-testid="streak">{d.streak ? count(d.streak.current.days, 'day') : '—'}</dd>
            </div>
            <div>
              <dt>Longest streak</dt>
              <dd>{d.streak ? count(d.streak.longest.days, 'day') : '—'}</dd>
            </div>
            <div>
              <dt>Daily average{range === undefined ? ' (all time)' : ''}</dt>
              <dd>
                {d.average
                  ? `${formatDuration(d.average.averageSeconds)} (${formatDuration(d.average.activeDayAverageSeconds)} a day on ${count(d.average.activeDays, 'active day')})`
                  : '—'}
              </dd>
            </div>
            <div>
              <dt>Most active day{mostRange !== undefined ? ` of ${mostRange}` : ''}</dt>
              <dd>
                {d.most && d.most.total_duration > 0
                  ? `${formatDate(d.most.date, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' })} (${formatDuration(d.most.total_duration)})`
                  : '—'}
              </dd>
            </div>
          </dl>
        ) : loaded.loading ? (
          <p class="muted">Loading…</p>
        ) : null}
      </section>
      <ProfileCard
        name="Hour of day"
        wide
        busy={loaded.loading}
        testid="hour-profile"
        caption={`Average active time in each hour, over ${over}`}
        title={`Average active time in each hour of the day, over ${over}`}
        labels={hourLabels}
        names={hourNames}
        values={d ? hourValues : undefined}
        xTitle="Hour"
      />
      <ProfileCard
        name="Weekdays"
        busy={loaded.loading}
        testid="weekday-profile"
        caption={`Average active time on each weekday, over ${weekOver}`}
        title={`Average active time on each weekday, over ${weekOver}`}
        labels={dayLabels}
        names={dayNames}
        values={d ? dayValues : undefined}
        xTitle="Weekday"
      />
    </>
  )
}

/** Insights, rendered again only when its props change. */
export const Insights = memo(InsightCards)
