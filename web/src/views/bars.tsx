/**
 * Stacked bars of active time per hour (a day) or per day, by a dimension; clicking a segment
 * (or its legend entry) filters everything by that name. Drawn by uPlot on a canvas.
 */
import { useLayoutEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import type { Bucket } from '../../../src/client/api.ts'
import type { BucketUnit, Calendar } from '../../../src/domain/calendar.ts'
import { splitRange } from '../../../src/domain/calendar.ts'
import { formatDate, formatDuration, formatHour } from '../format.ts'
import { PALETTE } from '../palette.ts'
import { cssVar, DURATION_INCRS } from './charts.tsx'

/**
 * The slot of the groups beyond the seventh, together. Not the name `Other`: that is a real
 * category (events nothing named), which filters like any other.
 */
export const REST = '\u0000rest'

export interface BarData {
  /** Bucket labels, in order (the API's own labels: `2025-03-03 09:00:00`, `2025-03-03`). */
  labels: string[]
  /** Groups drawn, bottom of the stack first (the largest), `REST` last when there is one. */
  groups: string[]
  /** `values[g][i]`: seconds of group g in bucket i. */
  values: number[][]
  /** How many groups `REST` holds (0 when there is none). */
  restCount: number
  /** The API's rows, every group (what the CSV export writes). */
  rows: readonly Bucket[]
}

/** Shapes bucket rows into a stack: the seven largest groups and the rest together. */
export function barData(
  rows: readonly Bucket[],
  range: { startMs: number; endMs: number },
  unit: BucketUnit,
  cal: Calendar,
): BarData {
  const labels = splitRange(range, unit, cal).map((b) => b.label)
  const index = new Map(labels.map((l, i) => [l, i]))
  const totals = new Map<string, number>()
  for (const r of rows) {
    for (const [g, s] of Object.entries(r.groupedValues)) totals.set(g, (totals.get(g) ?? 0) + s)
  }
  const ranked = [...totals].filter(([, s]) => s > 0).sort((a, b) => b[1] - a[1])
  const top = ranked.slice(0, ranked.length > 8 ? 7 : 8).map(([g]) => g)
  const groups = ranked.length > top.length ? [...top, REST] : top
  const slot = new Map(groups.map((g, i) => [g, i]))
  const values = groups.map(() => labels.map(() => 0))
  for (const r of rows) {
    const i = index.get(r.bucket)
    if (i === undefined) continue
    for (const [g, s] of Object.entries(r.groupedValues)) {
      const gi = slot.get(g) ?? slot.get(REST)
      const line = gi === undefined ? undefined : values[gi]
      if (line) line[i] = (line[i] ?? 0) + s
    }
  }
  return { labels, groups, values, restCount: ranked.length - top.length, rows }
}

/** An axis label of a bucket: the hour of a day, a day's number, a month's name on its first. */
function tick(label: string, unit: BucketUnit): string {
  if (unit === 'hour') return formatHour(Number(label.slice(11, 13)))
  const date = label.slice(0, 10)
  if (unit !== 'day' || label.slice(8, 10) === '01') {
    return formatDate(date, { day: 'numeric', month: 'short' })
  }
  return String(Number(label.slice(8, 10)))
}

/** Cumulative stacks, the top of the stack first (uPlot draws the series in order). */
function stacked(data: BarData): number[][] {
  const out: number[][] = []
  let below = data.labels.map(() => 0)
  for (const line of data.values) {
    below = below.map((b, i) => b + (line[i] ?? 0))
    out.push(below)
  }
  return out.reverse()
}

export function StackedBars(props: {
  data: BarData
  unit: BucketUnit
  groupLabel: string
  active: string | undefined
  /** Names what is drawn (period, grouping, filters): the page marks when each is first drawn. */
  drawKey: string
  onPick: (group: string) => void
  onDrawn?: () => void
}) {
  const box = useRef<HTMLDivElement>(null)
  const pick = useRef(props.onPick)
  pick.current = props.onPick
  const drawn = useRef(props.onDrawn)
  drawn.current = props.onDrawn
  const { data, unit, drawKey } = props

  // Drawn as the render is committed, before the browser paints the rest of the page.
  useLayoutEffect(() => {
    const el = box.current
    if (!el) return
    const n = data.groups.length
    const stacks = stacked(data)
    const xs = data.labels.map((_, i) => i)
    const monthly = unit === 'day' && data.labels.length > 62
    const monthStarts = xs.filter((i) => data.labels[i]?.slice(8, 10) === '01')
    const axisColour = cssVar('--fg-muted', '#666')
    const gridColour = cssVar('--grid', '#ddd')
    const series: uPlot.Series[] = [{}]
    for (let k = 0; k < n; k++) {
      const g = n - 1 - k // stacks[k] tops group g
      const colour = PALETTE[Math.min(g, PALETTE.length - 1)] ?? '#999'
      series.push({
        label: data.groups[g] === REST ? 'more' : (data.groups[g] ?? ''),
        fill: colour,
        stroke: colour,
        width: 0,
        paths: uPlot.paths.bars?.({ size: [0.8, 64], gap: 1 }),
        points: { show: false },
      })
    }
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 220,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: {
        x: { time: false, range: [-0.5, Math.max(0.5, xs.length - 0.5)] },
        y: { range: (_u, _min, max) => [0, Math.max(60, max * 1.05)] },
      },
      axes: [
        {
          stroke: axisColour,
          grid: { show: false },
          ticks: { stroke: gridColour },
          values: (_u, splits) =>
            splits.map((i) => {
              const l = data.labels[Math.round(i)]
              if (!Number.isInteger(i) || l === undefined) return ''
              return monthly ? formatDate(l.slice(0, 10), { month: 'short' }) : tick(l, unit)
            }),
          incrs: [1, 2, 3, 6, 7, 12, 14, 30, 61],
          // Days of more than two months: a tick on the first of each month.
          ...(monthly ? { splits: () => monthStarts } : {}),
        },
        {
          stroke: axisColour,
          grid: { stroke: gridColour, width: 1 },
          ticks: { stroke: gridColour },
          size: 56,
          values: (_u, splits) => splits.map((v) => formatDuration(v)),
          incrs: DURATION_INCRS.filter((s) => s >= 60),
        },
      ],
      series,
      hooks: {
        draw: [
          () => {
            // When the first chart appeared, since navigation (what the benchmark reads).
            el.dataset.drawnAt ??= String(Math.round(performance.now()))
            drawn.current?.()
          },
        ],
      },
    }
    let drawnOnce = false
    opts.hooks?.draw?.push(() => {
      if (drawnOnce) return
      drawnOnce = true
      // When the chart of this period and grouping first appeared (the benchmark's interaction).
      el.dataset.keyDrawnAt = String(Math.round(performance.now()))
      el.dataset.key = drawKey
    })
    const plot = new uPlot(opts, [xs, ...stacks] as uPlot.AlignedData, el)
    const onClick = () => {
      const i = plot.cursor.idx
      const top = plot.cursor.top
      if (i === null || i === undefined || top === undefined || top < 0) return
      const y = plot.posToVal(top, 'y')
      let below = 0
      for (let g = 0; g < n; g++) {
        const v = data.values[g]?.[i] ?? 0
        if (v > 0 && y >= below && y <= below + v) {
          const name = data.groups[g]
          if (name !== undefined && name !== REST) pick.current(name)
          return
        }
        below += v
      }
    }
    plot.over.addEventListener('click', onClick)
    const resize = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth)
      if (w !== plot.width) plot.setSize({ width: w, height: 220 })
    })
    resize.observe(el)
    return () => {
      resize.disconnect()
      plot.destroy()
    }
  }, [data, unit, drawKey])

  const total = data.values.reduce((s, line) => s + line.reduce((a, b) => a + b, 0), 0)
  return (
    <section class="card bars" aria-label={`Active time per ${unit} by ${props.groupLabel}`}>
      <div
        ref={box}
        class="chart"
        data-testid="bars"
        data-total={total}
        role="img"
        aria-label={`Stacked bars: ${formatDuration(total)} in ${data.labels.length} ${unit}s; the legend below filters`}
      />
      <ul class="legend" aria-label="Legend: click to filter">
        {data.groups.map((g, i) => {
          const swatch = (
            <span class={`swatch c${Math.min(i, PALETTE.length - 1)}`} aria-hidden="true" />
          )
          // The smaller groups together are no name to filter by: shown as plainly as the rest,
          // but not as a button.
          return g === REST ? (
            <li>
              <span
                class="legend-rest"
                data-testid="legend-rest"
                title="The smaller groups together; the breakdowns list each"
              >
                {swatch}
                {data.restCount} more
              </span>
            </li>
          ) : (
            <li>
              <button
                type="button"
                class="row-button"
                data-name={g}
                aria-pressed={props.active === g}
                onClick={() => props.onPick(g)}
              >
                {swatch}
                {g === '' ? '(none)' : g}
              </button>
            </li>
          )
        })}
      </ul>
    </section>
  )
}
