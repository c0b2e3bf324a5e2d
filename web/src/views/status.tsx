/** Collectors and devices, and when each last sent data (a silent one is flagged); backups; sync. */
import type { Ctx } from '../context.ts'
import { count, formatAgo, formatDateTime } from '../format.ts'
import { useCallback, useState } from 'preact/hooks'
import { useLoad } from '../hooks.ts'
import { BackupsCard } from './backups.tsx'
import { SyncCard } from './sync.tsx'

/** A collector that has sent nothing for this long is flagged as silent. */
const SILENT_AFTER_SEC = 15 * 60

export function StatusView(props: { ctx: Ctx }) {
  const { api, tz, tick } = props.ctx
  const [reads, setReads] = useState(0)
  const loaded = useLoad((signal) => api.status(signal), [api, tick, reads])
  const reload = useCallback(() => setReads((n) => n + 1), [])
  const s = loaded.data
  const now = Date.now()
  return (
    <main>
      <section class="card" aria-label="Daemon">
        <h2>Status</h2>
        {loaded.error ? <p class="error">{loaded.error.message}</p> : null}
        {s ? (
          <p>
            Daybook {s.version}, up since {formatDateTime(Date.parse(s.startedAt), tz)};{' '}
            {count(s.counts.events, 'event')}, {count(s.counts.labels, 'label')};{' '}
            {count(s.streams.websocketClients, 'live client')}
            {s.rollups.pendingSlots > 0 ? `; recounting ${s.rollups.pendingSlots} slots` : ''}.
          </p>
        ) : null}
      </section>
      <section class="card" aria-label="Collectors">
        <h3>Collectors</h3>
        {s && s.collectors.length === 0 ? (
          <p class="muted">
            No collector has sent data yet. Start one with <code>daybook watch</code>.
          </p>
        ) : null}
        <div class="table-wrap">
          <table data-testid="collectors">
            <thead>
              <tr>
                <th scope="col">Source</th>
                <th scope="col">Device</th>
                <th scope="col">Kind</th>
                <th scope="col">Last data</th>
                <th scope="col">Items</th>
              </tr>
            </thead>
            <tbody>
              {(s?.collectors ?? []).map((c) => {
                const silent = c.silentSeconds > SILENT_AFTER_SEC
                return (
                  <tr class={silent ? 'silent' : ''} data-testid="collector-row">
                    <td>{c.source}</td>
                    <td>{c.device}</td>
                    <td>{c.kind}</td>
                    <td title={formatDateTime(Date.parse(c.lastSeen), tz)}>
                      {formatAgo(c.silentSeconds)}
                      {silent ? (
                        <span class="badge warn" data-testid="silent">
                          silent
                        </span>
                      ) : null}
                    </td>
                    <td>{c.items.toLocaleString()}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
      </section>
      <section class="card" aria-label="Watcher">
        <h3>Watcher on this machine</h3>
        {s && s.watchers === null ? (
          <p class="muted">
            <code>daybook watch</code> has not run for this data dir: windows, time away and input
            are recorded only while it runs (<code>daybook service install</code> starts it at
            login).
          </p>
        ) : null}
        {s?.watchers ? (
          <>
            <p data-testid="watcher-state">
              {s.watchers.running ? `Running (pid ${s.watchers.pid})` : 'Not running'}, sending to{' '}
              {s.watchers.target}; last report{' '}
              {formatAgo((now - Date.parse(s.watchers.updatedAt)) / 1000)}
              {s.watchers.running ? null : <span class="badge warn">stopped</span>}
            </p>
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Collector</th>
                    <th scope="col">State</th>
                    <th scope="col">Sent</th>
                    <th scope="col">Waiting</th>
                    <th scope="col">Last recorded</th>
                  </tr>
                </thead>
                <tbody>
                  {s.watchers.collectors.map((c) => (
                    <tr class={c.state === 'retrying' ? 'silent' : ''}>
                      <td>{c.collector}</td>
                      <td>{c.state}</td>
                      <td>{c.delivered.toLocaleString()}</td>
                      <td>{c.waiting.toLocaleString()}</td>
                      <td>{c.last ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        ) : null}
      </section>
      <section class="card" aria-label="Devices">
        <h3>Devices</h3>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Last data</th>
                <th scope="col">Events</th>
              </tr>
            </thead>
            <tbody>
              {(s?.devices ?? []).map((d) => {
                const last = d.lastSeen === null ? undefined : Date.parse(d.lastSeen)
                const silent = last === undefined || (now - last) / 1000 > SILENT_AFTER_SEC
                return (
                  <tr class={silent ? 'silent' : ''}>
                    <td>
                      {d.name}
                      {d.own ? ' (this machine)' : ''}
                    </td>
                    <td>
                      {last === undefined ? 'never' : formatAgo((now - last) / 1000)}
                      {silent ? <span class="badge warn">silent</span> : null}
                    </td>
                    <td>{d.events.toLocaleString()}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
      </section>
      <BackupsCard ctx={props.ctx} backups={s?.backups} reload={reload} />
      <SyncCard ctx={props.ctx} />
    </main>
  )
}
