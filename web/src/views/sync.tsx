/**
 * Several devices: on a spoke, its hub and how far it has synced; on a hub, the paired devices,
 * when each last synced and how many of the hub's changes it has yet to read (its lag), and a
 * pairing code for a new one. Self-contained: it reads only the typed
 * client's sync methods, and is shown on the status view.
 */
import { useState } from 'preact/hooks'
import type { PairingCode } from '../../../src/client/api.ts'
import type { Ctx } from '../context.ts'
import { formatAgo, formatDateTime } from '../format.ts'
import { useLoad } from '../hooks.ts'

const secondsSince = (iso: string | null, now: number) =>
  iso === null ? undefined : (now - Date.parse(iso)) / 1000

export function SyncCard(props: { ctx: Ctx }) {
  const { api, tz, tick } = props.ctx
  const status = useLoad((signal) => api.syncStatus(signal), [api, tick])
  const s = status.data
  const now = Date.now()
  return (
    <section class="card" aria-label="Several devices" data-testid="sync">
      <h3>Several devices</h3>
      {status.error ? <p class="error">{status.error.message}</p> : null}
      {s?.role === 'none' ? (
        <p class="muted">
          This daemon syncs with no hub. On a hub, <code>daybook pair</code> prints the command that
          joins this device.
        </p>
      ) : null}
      {s?.role === 'spoke' ? (
        <p data-testid="sync-spoke">
          Syncing with <code>{s.hub}</code>:{' '}
          <span class={`badge ${s.state === 'synced' ? '' : 'warn'}`} data-testid="sync-state">
            {s.state}
          </span>
          {s.pending > 0 ? `; ${s.pending.toLocaleString()} changes not yet on the hub` : ''}
          {s.lastPullAt === null
            ? '; not synced yet'
            : `; last sync ${formatAgo(secondsSince(s.lastPullAt, now) ?? 0)}`}
          {s.lastError === null ? null : <span class="error"> {s.lastError}</span>}
        </p>
      ) : null}
      {s?.role === 'hub' ? <HubDevices ctx={props.ctx} now={now} tz={tz} /> : null}
    </section>
  )
}

function HubDevices(props: { ctx: Ctx; now: number; tz: string }) {
  const { api, tick } = props.ctx
  const clients = useLoad((signal) => api.syncClients(signal), [api, tick])
  const [code, setCode] = useState<PairingCode | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const pair = () => {
    setError(undefined)
    api.syncPair().then(setCode, (err: unknown) => setError((err as Error).message))
  }
  const rows = (clients.data?.clients ?? []).filter((c) => !c.revoked)
  const lastSeq = clients.data?.lastSeq ?? 0
  return (
    <>
      {clients.error ? <p class="error">{clients.error.message}</p> : null}
      {clients.data && rows.length === 0 ? (
        <p class="muted">No device is paired with this hub yet.</p>
      ) : null}
      {rows.length > 0 ? (
        <table data-testid="sync-clients">
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Paired</th>
              <th scope="col">Last sync</th>
              <th scope="col">Behind</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => {
              const ago = secondsSince(c.lastSeenAt, props.now)
              const behind = c.pulledSeq === null ? undefined : Math.max(0, lastSeq - c.pulledSeq)
              return (
                <tr data-testid="sync-client">
                  <td title={c.deviceId}>{c.name}</td>
                  <td>{formatDateTime(Date.parse(c.pairedAt), props.tz)}</td>
                  <td>{ago === undefined ? 'never' : formatAgo(ago)}</td>
                  <td data-testid="sync-behind">
                    {behind === undefined
                      ? 'not read yet'
                      : behind === 0
                        ? 'up to date'
                        : `${behind.toLocaleString()} changes`}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      ) : null}
      <p>
        <button type="button" onClick={pair}>
          New pairing code
        </button>
      </p>
      {error === undefined ? null : <p class="error">{error}</p>}
      {code ? (
        <p>
          Run on the new device (until {formatDateTime(Date.parse(code.expiresAt), props.tz)}):{' '}
          <code data-testid="pairing-command">{code.command}</code>
        </p>
      ) : null}
    </>
  )
}
