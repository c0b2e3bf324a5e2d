import type { Bucket } from '../../../src/client/api.ts'
import { formatDuration, formatShare } from '../format.ts'
import { useState } from 'preact/hooks'
import { memo } from '../memo.ts'

/** Seconds per group, largest first, from bucket rows (summing a group over its buckets). */
export function groupTotals(rows: readonly Bucket[]): [string, number][] {
  const totals = new Map<string, number>()
  for (const row of rows) {
    for (const [group, seconds] of Object.entries(row.groupedValues)) {
      totals.set(group, (totals.get(group) ?? 0) + seconds)
    }
  }
  return [...totals]
    .filter(([, s]) => s > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
}

/**
 * One breakdown: names with durations and shares, each a button that filters by it. `all` lists
 * every row (projects); others show the top ten first.
 */
function BreakdownCard(props: {
  title: string
  testid: string
  rows: [string, number][] | undefined
  total: number
  all?: boolean
  /** Names that run long (files, titles, URLs): a wider card. */
  wide?: boolean
  active: string | undefined
  error?: Error | undefined
  onPick: (name: string) => void
}) {
  const [expanded, setExpanded] = useState(false)
  const rows = props.rows ?? []
  const shown = props.all || expanded ? rows : rows.slice(0, 10)
  const max = rows[0]?.[1] ?? 0
  return (
    <section class={`card breakdown${props.wide ? ' wide' : ''}`} aria-label={props.title}>
      <h3>{props.title}</h3>
      {props.error ? (
        <p class="error">{props.error.message}</p>
      ) : rows.length === 0 ? (
        <p class="muted">{props.rows === undefined ? 'Loading…' : 'Nothing recorded'}</p>
      ) : null}
      <ul data-testid={props.testid}>
        {shown.map(([name, seconds]) => (
          <li data-testid="breakdown-row" data-name={name}>
            <button
              type="button"
              class="row-button"
              aria-pressed={props.active === name}
              title={`Show only ${name}`}
              onClick={() => props.onPick(name)}
            >
              <span class="name">{name === '' ? '(none)' : name}</span>{' '}
              <span class="dur">{formatDuration(seconds)}</span>{' '}
              <span class="share">{formatShare(seconds, props.total)}</span>
              <meter min={0} max={max} value={seconds} aria-hidden="true" />
            </button>
          </li>
        ))}
      </ul>
      {!props.all && rows.length > 10 ? (
        <button type="button" class="link" onClick={() => setExpanded(!expanded)}>
          {expanded ? 'Show fewer' : `Show all ${rows.length}`}
        </button>
      ) : null}
    </section>
  )
}

/** Breakdown, rendered again only when its props change. */
export const Breakdown = memo(BreakdownCard)
