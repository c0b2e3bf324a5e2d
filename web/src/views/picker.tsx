import { useMemo, useState } from 'preact/hooks'
import { memo } from '../memo.ts'
import type { Calendar } from '../../../src/domain/calendar.ts'
import {
  matchingPreset,
  PRESETS,
  presetSelection,
  type Resolved,
  type Selection,
  selectionDates,
  shift,
} from '../range.ts'

function zones(current: string): string[] {
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []
  return all.includes(current) ? all : [current, ...all]
}

/** Today … this year, custom dates, previous/next, and the zone in use. */
export function RangePicker(props: {
  sel: Selection
  resolved: Resolved
  cal: Calendar
  tz: string
  zoneOverridden: boolean
  onSelect: (sel: Selection) => void
  onZone: (tz: string | undefined) => void
}) {
  const { sel, cal } = props
  const pressed = matchingPreset(sel, Date.now(), cal)
  const [first, last] = selectionDates(sel)
  const [custom, setCustom] = useState(sel.unit === 'custom')
  const [start, setStart] = useState(first)
  const [end, setEnd] = useState(last)
  return (
    <section class="picker" data-testid="range-picker" aria-label="Period">
      <div class="row">
        <button
          type="button"
          aria-label="Previous period"
          title="Previous period"
          onClick={() => props.onSelect(shift(sel, -1))}
        >
          ‹
        </button>
        <h2 class="period-title" aria-live="polite">
          {props.resolved.title}
        </h2>
        <button
          type="button"
          aria-label="Next period"
          title="Next period"
          onClick={() => props.onSelect(shift(sel, 1))}
        >
          ›
        </button>
      </div>
      <div class="row presets" role="group" aria-label="Presets">
        {PRESETS.map(([name, label]) => (
          <button
            type="button"
            aria-pressed={pressed === name && !custom}
            onClick={() => {
              setCustom(false)
              props.onSelect(presetSelection(name, Date.now(), cal))
            }}
          >
            {label}
          </button>
        ))}
        <button
          type="button"
          aria-pressed={custom || sel.unit === 'custom'}
          aria-expanded={custom}
          onClick={() => {
            setStart(first)
            setEnd(last)
            setCustom(!custom)
          }}
        >
          Custom
        </button>
      </div>
      {custom ? (
        <form
          class="row custom"
          onSubmit={(e) => {
            e.preventDefault()
            if (start !== '' && end !== '' && start <= end) {
              props.onSelect({ unit: 'custom', start, end })
            }
          }}
        >
          <label>
            From{' '}
            <input
              type="date"
              value={start}
              required
              onInput={(e) => setStart(e.currentTarget.value)}
            />
          </label>
          <label>
            To{' '}
            <input
              type="date"
              value={end}
              min={start}
              required
              onInput={(e) => setEnd(e.currentTarget.value)}
            />
          </label>
          <button type="submit">Show</button>
        </form>
      ) : null}
      <ZonePicker tz={props.tz} overridden={props.zoneOverridden} onZone={props.onZone} />
    </section>
  )
}

/**
 * The zone in use, out of every zone the browser knows (some four hundred options: rendered again
 * only when the zone changes, not with every period).
 */
const ZonePicker = memo(function ZonePicker(props: {
  tz: string
  overridden: boolean
  onZone: (tz: string | undefined) => void
}) {
  const zoneList = useMemo(() => zones(props.tz), [props.tz])
  return (
    <div class="row zone">
      <label>
        Time zone{' '}
        <select
          value={props.tz}
          onChange={(e) => props.onZone(e.currentTarget.value)}
          aria-describedby="zone-note"
        >
          {zoneList.map((z) => (
            <option value={z}>{z}</option>
          ))}
        </select>
      </label>
      <span id="zone-note" class="muted">
        {props.overridden ? (
          <button type="button" class="link" onClick={() => props.onZone(undefined)}>
            Use the settings' zone
          </button>
        ) : (
          'from the settings'
        )}
      </span>
    </div>
  )
})
