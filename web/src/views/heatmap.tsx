/** Keys and clicks per hour × weekday, from `GET /v1/input/heatmap`. */
import { ApiError, type Heatmap as HeatmapData } from '../../../src/client/api.ts'
import type { Ctx } from '../context.ts'
import { useLoad } from '../hooks.ts'
import { customPreset } from '../range.ts'
import { memo } from '../memo.ts'

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']

function HeatmapCard(props: {
  ctx: Ctx
  range: { startMs: number; endMs: number }
  ready: boolean
}) {
  const { api, tz, tick } = props.ctx
  const loaded = useLoad(
    (signal): Promise<HeatmapData> =>
      api.heatmap({ preset: customPreset(props.range.startMs, props.range.endMs), tz }, signal),
    [api, props.range.startMs, props.range.endMs, tz, tick],
    props.ready,
  )
  const cells = new Map<string, { keys: number; clicks: number }>()
  for (const c of loaded.data?.cells ?? []) cells.set(`${c.weekday}:${c.hour}`, c)
  const max = Math.max(1, ...[...cells.values()].map((c) => c.keys + c.clicks))
  const missing = loaded.error instanceof ApiError && loaded.error.status === 404
  return (
    <section
      class="card heatmap wide"
      aria-label="Input activity by weekday and hour"
      aria-busy={loaded.loading}
    >
      <h3>Keys and clicks</h3>
      {missing ? (
        <p class="muted" data-testid="heatmap-unavailable">
          This daemon has no input heatmap yet (GET /v1/input/heatmap); update it to see one.
        </p>
      ) : loaded.error ? (
        <p class="error">{loaded.error.message}</p>
      ) : (
        <table data-testid="heatmap">
          <caption class="visually-hidden">Keys and clicks per hour of each weekday</caption>
          <thead>
            <tr>
              <th scope="col">
                <span class="visually-hidden">Day</span>
              </th>
              {Array.from({ length: 24 }, (_, h) => (
                <th scope="col">{h % 3 === 0 ? String(h).padStart(2, '0') : ''}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {DAYS.map((name, i) => (
              <tr>
                <th scope="row">{name}</th>
                {Array.from({ length: 24 }, (_, h) => {
                  const c = cells.get(`${i + 1}:${h}`)
                  const v = c ? c.keys + c.clicks : 0
                  const level = v === 0 ? 0 : Math.max(1, Math.ceil((v / max) * 5))
                  const text = `${name} ${String(h).padStart(2, '0')}:00: ${c?.keys ?? 0} keys, ${c?.clicks ?? 0} clicks`
                  return <td class={`heat i${level}`} title={text} aria-label={text} />
                })}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

/** Heatmap, rendered again only when its props change. */
export const Heatmap = memo(HeatmapCard)
