/**
 * Scheduled backups on the status view: on or off, how often and how many are kept, where, the
 * last backup (when, its size), when the next is due, and a failed attempt. The switch changes the
 * `backups` setting (admin); the rest is `/v1/status`'s `backups`.
 */
import { useEffect, useState } from 'preact/hooks'
import type { StatusReport } from '../../../src/client/api.ts'
import type { Ctx } from '../context.ts'
import { count, formatDateTime } from '../format.ts'

/** Bytes as a person reads them: 1.2 MB. */
function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let v = n / 1024
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u] ?? 'TB'}`
}

/** While a backup is due, the status is read again this often (it shows once written). */
const DUE_RELOAD_MS = 1000

export function BackupsCard(props: {
  ctx: Ctx
  backups: StatusReport['backups'] | undefined
  /** Reads the status again. */
  reload: () => void
}) {
  const { api, tz } = props.ctx
  const b = props.backups
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const due =
    b !== undefined && b.next !== null && Date.parse(b.next) <= Date.now() && b.failure === null
  useEffect(() => {
    if (!due) return undefined
    const timer = setTimeout(props.reload, DUE_RELOAD_MS)
    return () => clearTimeout(timer)
  }, [due, b, props.reload])
  const toggle = () => {
    if (!b) return
    setBusy(true)
    setError(undefined)
    api
      .settings()
      .then((s) => api.changeSettings({ backups: { ...s.backups, enabled: !b.enabled } }))
      .then(
        () => props.reload(),
        (err: unknown) => setError((err as Error).message),
      )
      .finally(() => setBusy(false))
  }
  return (
    <section class="card" aria-label="Backups" data-testid="backups">
      <h3>Backups</h3>
      {b ? (
        <>
          <p data-testid="backups-state">
            {b.enabled
              ? `Scheduled backups are on: every ${count(b.everyHours, 'hour')}, the newest ${b.keep} kept`
              : 'Scheduled backups are off'}
            , in <code>{b.dir}</code>.
          </p>
          <p data-testid="backups-last">
            {b.last
              ? `Last backup ${formatDateTime(Date.parse(b.last.createdAt), tz)}, ${formatBytes(b.last.bytes)}${b.last.scheduled ? '' : ' (made by hand)'}.`
              : 'No backup yet.'}
          </p>
          {b.next !== null ? (
            <p data-testid="backups-next">
              {due ? 'Backing up now…' : `Next backup ${formatDateTime(Date.parse(b.next), tz)}.`}
            </p>
          ) : null}
          {b.failure ? (
            <p class="error" data-testid="backups-failure">
              The backup of {formatDateTime(Date.parse(b.failure.at), tz)} failed:{' '}
              {b.failure.message}. It is tried again at the next one.
            </p>
          ) : null}
          <button type="button" onClick={toggle} disabled={busy} aria-pressed={b.enabled}>
            {b.enabled ? 'Turn scheduled backups off' : 'Turn scheduled backups on'}
          </button>
        </>
      ) : null}
      {error === undefined ? null : <p class="error">{error}</p>}
    </section>
  )
}
