/**
 * A column chart with labelled axes (uPlot on a canvas), and beside it, for screen readers and
 * anyone who wants the numbers, the same values as a table.
 */
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import { formatDuration } from '../format.ts'

/** A custom property of the page's stylesheet (the charts draw in the theme's colours). */
export function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback
}

/** Steps of a duration axis: a minute up to two days. */
export const DURATION_INCRS = [
  1, 5, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10_800, 14_400, 21_600, 28_800,
  43_200, 86_400, 172_800,
]

export function ColumnChart(props: {
  /** What the chart shows, for its label and its table's caption. */
  title: string
  /** The columns' names on the axis (`09`, `Mon`). */
  labels: readonly string[]
  /** The columns' names in the table (`09:00`, `Monday`). */
  names: readonly string[]
  /** Seconds per column. */
  values: readonly number[]
  xTitle: string
  yTitle: string
  testid: string
  height?: number
}) {
  const box = useRef<HTMLDivElement>(null)
  const { labels, values, xTitle, yTitle } = props
  const height = props.height ?? 200
  useEffect(() => {
    const el = box.current
    if (!el) return
    const axisColour = cssVar('--fg-muted', '#666')
    const gridColour = cssVar('--grid', '#ddd')
    const colour = cssVar('--c0', '#0072B2')
    const xs = labels.map((_, i) => i)
    const opts: uPlot.Options = {
      width: Math.max(160, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: {
        x: { time: false, range: [-0.5, Math.max(0.5, xs.length - 0.5)] },
        y: { range: (_u, _min, max) => [0, Math.max(60, max * 1.1)] },
      },
      axes: [
        {
          stroke: axisColour,
          grid: { show: false },
          ticks: { stroke: gridColour },
          values: (_u, splits) => splits.map((i) => (Number.isInteger(i) ? (labels[i] ?? '') : '')),
          incrs: [1, 2, 3, 6],
        },
        {
          stroke: axisColour,
          grid: { stroke: gridColour, width: 1 },
          ticks: { stroke: gridColour },
          size: 56,
          space: 24,
          values: (_u, splits) => splits.map((v) => formatDuration(v)),
          incrs: DURATION_INCRS,
        },
      ],
      series: [
        {},
        {
          label: yTitle,
          fill: colour,
          stroke: colour,
          width: 0,
          paths: uPlot.paths.bars?.({ size: [0.75, 48], gap: 1 }),
          points: { show: false },
        },
      ],
    }
    const plot = new uPlot(opts, [xs, [...values]] as uPlot.AlignedData, el)
    const resize = new ResizeObserver(() => {
      const w = Math.max(160, el.clientWidth)
      if (w !== plot.width) plot.setSize({ width: w, height })
    })
    resize.observe(el)
    return () => {
      resize.disconnect()
      plot.destroy()
    }
  }, [labels, values, xTitle, yTitle, height])
  return (
    <figure class="column-chart">
      <div class="axis-title y" aria-hidden="true">
        {yTitle}
      </div>
      <div ref={box} class="chart small" role="img" aria-label={props.title} />
      <div class="axis-title x" aria-hidden="true">
        {xTitle}
      </div>
      <div class="visually-hidden">
        <table data-testid={props.testid}>
          <caption>{props.title}</caption>
          <thead>
            <tr>
              <th scope="col">{xTitle}</th>
              <th scope="col">{yTitle}</th>
            </tr>
          </thead>
          <tbody>
            {props.names.map((name, i) => (
              <tr>
                <th scope="row">{name}</th>
                <td>{formatDuration(values[i] ?? 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  )
}
