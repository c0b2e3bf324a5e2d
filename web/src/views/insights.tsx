/** Streak, most active day, daily average and the hour-of-day profile. */
import type { Filters } from '../../../src/client/api.ts'
import type { Ctx } from '../context.ts'
import { formatDuration } from '../format.ts'
import { useLoad } from '../hooks.ts'

export function Insights(props: { ctx: Ctx; insightRange: string | undefined; filters: Filters }) {
  const { api, tz, tick } = props.ctx
  const range = props.insightRange
  // A day's most active day is itself: ask about its month.
  const mostRange = range !== undefined && range.length === 10 ? range.slice(0, 7) : range
  const fKey = JSON.stringify(props.filters)
  const loaded = useLoad(
    async (signal) => {
      const base = { tz, ...props.filters }
      const named = range === undefined ? {} : { insightRange: range }
      const [streak, average, hours, most] = await Promise.all([
        api.insight({ insightType: 'streak', ...base }, signal),
        api.insight({ insightType: 'dailyAverage', ...named, ...base }, signal),
        api.insight({ insightType: 'hourOfDay', ...named, ...base }, signal),
        mostRange === undefined
          ? Promise.resolve(undefined)
          : api.insight({ insightType: 'mostActiveDay', insightRange: mostRange, ...base }, signal),
      ])
      return {
        streak: 'streak' in streak ? streak.streak : undefined,
        average: 'dailyAverage' in average ? average.dailyAverage : undefined,
        hours: 'hourOfDay' in hours ? hours.hourOfDay : [],
        most: most && 'mostActiveDay' in most ? most.mostActiveDay : undefined,
      }
    },
    [api, range, tz, fKey, tick],
  )
  const d = loaded.data
  const maxHour = Math.max(1, ...(d?.hours.map((h) => h.averageSeconds) ?? [0]))
  return (
    <section class="card insights" aria-label="Insights" aria-busy={loaded.loading}>
      <h3>Insights</h3>
      {loaded.error ? <p class="error">{loaded.error.message}</p> : null}
      {d ? (
        <>
          <dl class="facts">
            <div>
              <dt>Current streak</dt>
              <dd data-testid="streak">
                {d.streak
                  ? `${d.streak.current.days} day${d.streak.current.days === 1 ? '' : 's'}`
                  : '—'}
              </dd>
            </div>
            <div>
              <dt>Longest streak</dt>
              <dd>
                {d.streak
                  ? `${d.streak.longest.days} day${d.streak.longest.days === 1 ? '' : 's'}`
                  : '—'}
              </dd>
            </div>
            <div>
              <dt>Daily average{range === undefined ? ' (all time)' : ''}</dt>
              <dd>
                {d.average
                  ? `${formatDuration(d.average.averageSeconds)} (${formatDuration(d.average.activeDayAverageSeconds)} a day on ${d.average.activeDays === 1 ? '1 active day' : `${d.average.activeDays} active days`})`
                  : '—'}
              </dd>
            </div>
            <div>
              <dt>Most active day{mostRange !== undefined ? ` of ${mostRange}` : ''}</dt>
              <dd>
                {d.most && d.most.total_duration > 0
                  ? `${d.most.date} (${formatDuration(d.most.total_duration)})`
                  : '—'}
              </dd>
            </div>
          </dl>
          <figure class="hours">
            <svg
              viewBox="0 0 240 60"
              preserveAspectRatio="none"
              role="img"
              aria-label="Average active time in each hour of the day"
            >
              {d.hours.map((h) => {
                const height = (h.averageSeconds / maxHour) * 56
                return (
                  <rect
                    class="hour-bar"
                    x={h.hour * 10 + 1}
                    y={58 - height}
                    width={8}
                    height={height}
                  >
                    <title>{`${String(h.hour).padStart(2, '0')}:00 · ${formatDuration(h.averageSeconds)} on average`}</title>
                  </rect>
                )
              })}
            </svg>
            <figcaption class="muted">Hour of day: 00 … 23, average active time</figcaption>
          </figure>
        </>
      ) : loaded.loading ? (
        <p class="muted">Loading…</p>
      ) : null}
    </section>
  )
}
