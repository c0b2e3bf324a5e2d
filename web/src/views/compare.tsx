/**
 * Two periods side by side, per project, app, category or language: the period shown against
 * the one before it (cut at the same point while it is under way, like the total), or any two
 * ranges of dates. Filters apply to both.
 */
import { useState } from 'preact/hooks'
import { Temporal } from 'temporal-polyfill'
import type { Filters } from '../../../src/client/api.ts'
import type { Ctx, Group } from '../context.ts'
import { formatDate, formatDuration } from '../format.ts'
import { useLoad } from '../hooks.ts'
import { customPreset, dayStartMs, logicalDate, type Resolved } from '../range.ts'
import { compareRows } from '../profile.ts'
import { groupTotals } from './breakdowns.tsx'
import { memo } from '../memo.ts'

const BY: [Group, string][] = [
  ['project', 'Project'],
  ['app', 'App'],
  ['category', 'Category'],
  ['language', 'Language'],
]

type Dates = [string, string]

const pd = (s: string) => Temporal.PlainDate.from(s)

function datesText(d: Dates): string {
  const f = (s: string) => formatDate(s, { day: 'numeric', month: 'short', year: 'numeric' })
  return d[0] === d[1] ? f(d[0]) : `${f(d[0])} – ${f(d[1])}`
}

function change(a: number, b: number): string {
  const d = b - a
  if (d === 0) return '±0'
  const pct = a > 0 ? ` (${d > 0 ? '+' : '−'}${Math.round((Math.abs(d) / a) * 100)}%)` : ''
  return `${d > 0 ? '+' : '−'}${formatDuration(Math.abs(d))}${pct}`
}

function CompareCard(props: {
  ctx: Ctx
  resolved: Resolved
  dates: Dates
  filters: Filters
  ready: boolean
}) {
  const { api, tz, tick, cal } = props.ctx
  const r = props.resolved
  const [mode, setMode] = useState<'previous' | 'ranges'>('previous')
  const [by, setBy] = useState<Group>('project')
  const [expanded, setExpanded] = useState(false)
  const prevDates: Dates = [
    logicalDate(r.prevStartMs, cal).toString(),
    logicalDate(Math.max(r.prevStartMs, r.prevEndMs - 1), cal).toString(),
  ]
  // The two ranges being edited, and the two compared (set by the form's button).
  const [editA, setEditA] = useState<Dates>(prevDates)
  const [editB, setEditB] = useState<Dates>(props.dates)
  const [chosen, setChosen] = useState<{ a: Dates; b: Dates } | undefined>(undefined)

  const span = (d: Dates) => ({
    startMs: dayStartMs(pd(d[0]), cal),
    endMs: dayStartMs(pd(d[1]).add({ days: 1 }), cal),
  })
  const sides =
    mode === 'ranges' && chosen
      ? {
          a: span(chosen.a),
          b: span(chosen.b),
          aText: datesText(chosen.a),
          bText: datesText(chosen.b),
        }
      : {
          a: { startMs: r.prevStartMs, endMs: r.prevEndMs },
          b: { startMs: r.startMs, endMs: r.endMs },
          aText: `Previous: ${datesText(prevDates)}${r.prevCut ? ' (to the same point)' : ''}`,
          bText: `This: ${datesText(props.dates)}`,
        }
  const fKey = JSON.stringify(props.filters)
  const loaded = useLoad(
    async (signal) => {
      const side = (s: { startMs: number; endMs: number }) =>
        api
          .buckets(
            { preset: customPreset(s.startMs, s.endMs, 'year'), tz, groupBy: by, ...props.filters },
            signal,
          )
          .then((rows) => new Map(groupTotals(rows)))
      const [a, b] = await Promise.all([side(sides.a), side(sides.b)])
      return compareRows(a, b)
    },
    [api, sides.a.startMs, sides.a.endMs, sides.b.startMs, sides.b.endMs, by, tz, fKey, tick],
    props.ready,
  )
  const rows = loaded.data ?? []
  const shown = expanded ? rows : rows.slice(0, 12)
  const max = Math.max(1, ...rows.map((x) => Math.max(x.a, x.b)))
  const totalA = rows.reduce((s, x) => s + x.a, 0)
  const totalB = rows.reduce((s, x) => s + x.b, 0)
  const byName = BY.find(([g]) => g === by)?.[1] ?? by

  return (
    <section
      class="card compare"
      aria-label="Compare"
      aria-busy={loaded.loading}
      data-testid="compare"
    >
      <div class="card-head">
        <h3>Compare</h3>
        <div class="row">
          <div role="radiogroup" aria-label="Compare with" class="seg-control">
            <button
              type="button"
              role="radio"
              aria-checked={mode === 'previous'}
              onClick={() => setMode('previous')}
            >
              Previous period
            </button>
            <button
              type="button"
              role="radio"
              aria-checked={mode === 'ranges'}
              onClick={() => {
                if (mode !== 'ranges' && chosen === undefined) {
                  setEditA(prevDates)
                  setEditB(props.dates)
                }
                setMode('ranges')
              }}
            >
              Two ranges
            </button>
          </div>
          <label>
            By{' '}
            <select value={by} onChange={(e) => setBy(e.currentTarget.value as Group)}>
              {BY.map(([g, name]) => (
                <option value={g}>{name}</option>
              ))}
            </select>
          </label>
        </div>
      </div>
      {mode === 'ranges' ? (
        <form
          class="compare-ranges"
          aria-label="Ranges to compare"
          onSubmit={(e) => {
            e.preventDefault()
            if (editA[0] <= editA[1] && editB[0] <= editB[1]) setChosen({ a: editA, b: editB })
          }}
        >
          {(
            [
              ['A', editA, setEditA],
              ['B', editB, setEditB],
            ] as const
          ).map(([name, value, set]) => (
            <fieldset>
              <legend>{name}</legend>
              <label>
                From{' '}
                <input
                  type="date"
                  required
                  value={value[0]}
                  onInput={(e) => set([e.currentTarget.value, value[1]])}
                />
              </label>{' '}
              <label>
                to{' '}
                <input
                  type="date"
                  required
                  min={value[0]}
                  value={value[1]}
                  onInput={(e) => set([value[0], e.currentTarget.value])}
                />
              </label>
            </fieldset>
          ))}
          <button type="submit">Compare</button>
        </form>
      ) : null}
      {loaded.error ? <p class="error">{loaded.error.message}</p> : null}
      <div class="table-wrap">
        <table class="compare-table" data-testid="compare-table">
          <caption class="visually-hidden">
            Active time per {byName.toLowerCase()}: {sides.aText} against {sides.bText}
          </caption>
          <thead>
            <tr>
              <th scope="col">{byName}</th>
              <th scope="col" class="num" data-testid="compare-a">
                {sides.aText}
              </th>
              <th scope="col" class="num" data-testid="compare-b">
                {sides.bText}
              </th>
              <th scope="col" class="num">
                Change
              </th>
              <th scope="col" class="bars-col">
                <span class="visually-hidden">Side by side</span>
                <span aria-hidden="true">
                  <span class="swatch side-a" /> A <span class="swatch side-b" /> B
                </span>
              </th>
            </tr>
          </thead>
          <tbody>
            <tr class="total-row">
              <th scope="row">Total</th>
              <td class="num">{formatDuration(totalA)}</td>
              <td class="num">{formatDuration(totalB)}</td>
              <td class="num">{change(totalA, totalB)}</td>
              <td />
            </tr>
            {shown.map((x) => (
              <tr data-testid="compare-row" data-name={x.group} data-a={x.a} data-b={x.b}>
                <th scope="row" class="name">
                  {x.group === '' ? '(none)' : x.group}
                </th>
                <td class="num">{formatDuration(x.a)}</td>
                <td class="num">{formatDuration(x.b)}</td>
                <td class={`num ${x.b > x.a ? 'up' : x.b < x.a ? 'down' : ''}`}>
                  {change(x.a, x.b)}
                </td>
                <td class="bars-col" aria-hidden="true">
                  <span class="side side-a" style={{ width: `${(x.a / max) * 100}%` }} />
                  <span class="side side-b" style={{ width: `${(x.b / max) * 100}%` }} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!loaded.loading && rows.length === 0 ? (
        <p class="muted">Nothing recorded in either range.</p>
      ) : null}
      {rows.length > 12 ? (
        <button type="button" class="link" onClick={() => setExpanded(!expanded)}>
          {expanded ? 'Show fewer' : `Show all ${rows.length}`}
        </button>
      ) : null}
    </section>
  )
}

/** Compare, rendered again only when its props change. */
export const Compare = memo(CompareCard)
