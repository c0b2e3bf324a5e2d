/**
 * Settings a person changes: zone, start of day, category rules, source priority, and tokens.
 * Changing them needs an admin session; a data session says how to get one.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { ApiError, type Settings, type Token } from '../../../src/client/api.ts'
import type { Ctx } from '../context.ts'
import { formatDateTime } from '../format.ts'
import { useLoad } from '../hooks.ts'

const ADMIN_NOTE = 'needs an admin session: run daybook open --admin'

function AdminNote() {
  return (
    <p class="note" data-testid="needs-admin">
      Changing this needs an admin session: run <code>daybook open --admin</code>.
    </p>
  )
}

function message(e: unknown): string {
  if (e instanceof ApiError && e.status === 403) return `Refused: ${ADMIN_NOTE}`
  return e instanceof Error ? e.message : String(e)
}

type Rule = Settings['categoryRules'][number]

/** `el` as tall as its text, wrapped at its width. */
function fitHeight(el: HTMLTextAreaElement): void {
  el.style.height = 'auto'
  el.style.height = `${el.scrollHeight + el.offsetHeight - el.clientHeight}px`
}

/**
 * A regular expression's box, as tall as it needs to show the whole pattern (wrapped, never
 * scrolled out of sight). A pattern is one line: Enter does not add a line break.
 */
function PatternBox(props: { label: string; value: string; onChange: (value: string) => void }) {
  const box = useRef<HTMLTextAreaElement>(null)
  useLayoutEffect(() => {
    const el = box.current
    if (el) fitHeight(el)
  }, [props.value])
  // A narrower box wraps onto more lines (a phone turned, a window resized): fit it again.
  useEffect(() => {
    const el = box.current
    if (!el) return
    let width = el.clientWidth
    const observer = new ResizeObserver(() => {
      if (el.clientWidth === width) return
      width = el.clientWidth
      fitHeight(el)
    })
    observer.observe(el)
    return () => observer.disconnect()
  }, [])
  return (
    <textarea
      ref={box}
      class="pattern"
      rows={1}
      aria-label={props.label}
      value={props.value}
      required
      spellcheck={false}
      onKeyDown={(e) => {
        if (e.key === 'Enter') e.preventDefault()
      }}
      onInput={(e) => props.onChange(e.currentTarget.value.replace(/[\r\n]+/g, ''))}
    />
  )
}

export function SettingsView(props: { ctx: Ctx; onSaved: () => void }) {
  const { api, settings, session } = props.ctx
  const readOnly = session.scope === 'data'
  const [tz, setTz] = useState(settings.timezone ?? '')
  const [startOfDay, setStartOfDay] = useState(settings.startOfDay)
  const [rules, setRules] = useState<Rule[]>(settings.categoryRules)
  const [priority, setPriority] = useState<[string, number][]>(
    Object.entries(settings.sourcePriority),
  )
  const [result, setResult] = useState<{ ok: boolean; text: string } | undefined>(undefined)

  const save = async (patch: Parameters<typeof api.changeSettings>[0], what: string) => {
    try {
      await api.changeSettings(patch)
      setResult({ ok: true, text: `${what} saved` })
      props.onSaved()
    } catch (e) {
      setResult({ ok: false, text: message(e) })
    }
  }
  const known =
    typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []
  // The saved zone is listed even where the browser's list lacks it (Chromium's has no `UTC`).
  const zones = tz === '' || known.includes(tz) ? known : [tz, ...known]

  return (
    <main class="settings">
      <h2>Settings</h2>
      {readOnly ? <AdminNote /> : null}
      {result ? (
        <p role="status" class={result.ok ? 'ok' : 'error'}>
          {result.text}
        </p>
      ) : null}
      <form
        class="card"
        aria-label="Calendar"
        onSubmit={(e) => {
          e.preventDefault()
          void save({ timezone: tz === '' ? null : tz, startOfDay }, 'Calendar')
        }}
      >
        <h3>Calendar</h3>
        <fieldset disabled={readOnly}>
          <label>
            Time zone{' '}
            <select value={tz} onChange={(e) => setTz(e.currentTarget.value)}>
              <option value="">The daemon's own zone</option>
              {zones.map((z) => (
                <option value={z}>{z}</option>
              ))}
            </select>
          </label>{' '}
          <label>
            A day starts at{' '}
            <input
              type="time"
              value={startOfDay}
              required
              onInput={(e) => setStartOfDay(e.currentTarget.value)}
            />
          </label>{' '}
          <button type="submit">Save</button>
        </fieldset>
      </form>
      <form
        class="card"
        aria-label="Category rules"
        onSubmit={(e) => {
          e.preventDefault()
          void save({ categoryRules: rules }, 'Category rules')
        }}
      >
        <h3>Category rules</h3>
        <p class="muted">
          First match wins: a case-insensitive regular expression on the app, a window title or a
          URL names the category of events whose own category is Other or Browsing. History is
          recounted under the new rules.
        </p>
        <fieldset disabled={readOnly}>
          <div class="table-wrap">
            <table class="rules">
              <thead>
                <tr>
                  <th scope="col">Match</th>
                  <th scope="col">Pattern</th>
                  <th scope="col">Category</th>
                  <th scope="col">
                    <span class="visually-hidden">Remove</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rules.map((rule, i) => {
                  const set = (change: Partial<Rule>) =>
                    setRules(rules.map((r, j) => (j === i ? { ...r, ...change } : r)))
                  return (
                    <tr>
                      <td>
                        <select
                          aria-label={`Rule ${i + 1}: match on`}
                          value={rule.match}
                          onChange={(e) => set({ match: e.currentTarget.value as Rule['match'] })}
                        >
                          <option value="app">app</option>
                          <option value="title">title</option>
                          <option value="url">url</option>
                        </select>
                      </td>
                      <td class="pattern">
                        <PatternBox
                          label={`Rule ${i + 1}: pattern`}
                          value={rule.pattern}
                          onChange={(pattern) => set({ pattern })}
                        />
                      </td>
                      <td>
                        <input
                          aria-label={`Rule ${i + 1}: category`}
                          value={rule.category}
                          required
                          onInput={(e) => set({ category: e.currentTarget.value })}
                        />
                      </td>
                      <td>
                        <button
                          type="button"
                          aria-label={`Remove rule ${i + 1}`}
                          onClick={() => setRules(rules.filter((_, j) => j !== i))}
                        >
                          ×
                        </button>
                      </td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
          <button
            type="button"
            onClick={() => setRules([...rules, { match: 'app', pattern: '', category: '' }])}
          >
            Add rule
          </button>{' '}
          <button type="submit">Save rules</button>
        </fieldset>
      </form>
      <form
        class="card"
        aria-label="Source priority"
        onSubmit={(e) => {
          e.preventDefault()
          void save({ sourcePriority: Object.fromEntries(priority) }, 'Source priority')
        }}
      >
        <h3>Source priority</h3>
        <p class="muted">
          Where sources overlap, the higher number wins the time. <code>prefix-*</code> names every
          source starting with <code>prefix-</code>; <code>*</code> the others.
        </p>
        <fieldset disabled={readOnly}>
          <ul class="plain">
            {priority.map(([name, value], i) => (
              <li>
                <input
                  aria-label={`Source ${i + 1}`}
                  value={name}
                  required
                  onInput={(e) =>
                    setPriority(
                      priority.map((p, j) => (j === i ? [e.currentTarget.value, p[1]] : p)),
                    )
                  }
                />{' '}
                <input
                  type="number"
                  aria-label={`Priority of source ${i + 1}`}
                  value={value}
                  step={1}
                  onInput={(e) =>
                    setPriority(
                      priority.map((p, j) => (j === i ? [p[0], Number(e.currentTarget.value)] : p)),
                    )
                  }
                />{' '}
                <button
                  type="button"
                  aria-label={`Remove source ${i + 1}`}
                  onClick={() => setPriority(priority.filter((_, j) => j !== i))}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
          <button type="button" onClick={() => setPriority([...priority, ['', 0]])}>
            Add source
          </button>{' '}
          <button type="submit">Save priorities</button>
        </fieldset>
      </form>
      <Tokens ctx={props.ctx} readOnly={readOnly} />
    </main>
  )
}

function Tokens(props: { ctx: Ctx; readOnly: boolean }) {
  const { api, tz } = props.ctx
  const [version, setVersion] = useState(0)
  const list = useLoad(
    (signal): Promise<Token[] | undefined> =>
      props.readOnly ? Promise.resolve(undefined) : api.tokens(signal),
    [api, version, props.readOnly],
  )
  const [name, setName] = useState('')
  const [acl, setAcl] = useState<Token['acl']>('read_only')
  const [expiry, setExpiry] = useState<'day' | 'week' | 'month' | 'quarter' | 'never'>('month')
  const [created, setCreated] = useState<Token | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  return (
    <section class="card" aria-label="Tokens">
      <h3>Tokens</h3>
      {props.readOnly || (list.error instanceof ApiError && list.error.status === 403) ? (
        <AdminNote />
      ) : list.error ? (
        <p class="error">{list.error.message}</p>
      ) : (
        <>
          <div class="table-wrap">
            <table data-testid="tokens">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Scope</th>
                  <th scope="col">Token</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span class="visually-hidden">Revoke</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {(list.data ?? []).map((t) => (
                  <tr class={t.revoked ? 'revoked' : ''}>
                    <td>{t.name}</td>
                    <td>{t.acl}</td>
                    <td>
                      <code>{t.token_preview}</code>
                    </td>
                    <td>
                      {t.expires_at === null ? 'never' : formatDateTime(t.expires_at * 1000, tz)}
                    </td>
                    <td>
                      {t.last_used_at === null
                        ? 'never'
                        : formatDateTime(t.last_used_at * 1000, tz)}
                    </td>
                    <td>
                      {t.revoked ? (
                        'revoked'
                      ) : (
                        <button
                          type="button"
                          onClick={() => {
                            if (!confirm(`Revoke ${t.name}? Programs using it stop working.`))
                              return
                            api.revokeToken(t.id).then(
                              () => setVersion((v) => v + 1),
                              (e: unknown) => setError(message(e)),
                            )
                          }}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <form
            onSubmit={(e) => {
              e.preventDefault()
              api.createToken({ name, acl, expiry }).then(
                (token) => {
                  setCreated(token)
                  setName('')
                  setError(undefined)
                  setVersion((v) => v + 1)
                },
                (err: unknown) => setError(message(err)),
              )
            }}
          >
            <label>
              Name{' '}
              <input
                value={name}
                required
                maxLength={100}
                onInput={(e) => setName(e.currentTarget.value)}
              />
            </label>{' '}
            <label>
              Scope{' '}
              <select value={acl} onChange={(e) => setAcl(e.currentTarget.value as Token['acl'])}>
                <option value="read_only">read_only</option>
                <option value="data">data</option>
                <option value="stream">stream</option>
                <option value="ingest">ingest</option>
                <option value="admin">admin</option>
              </select>
            </label>{' '}
            <label>
              Expires{' '}
              <select
                value={expiry}
                onChange={(e) => setExpiry(e.currentTarget.value as typeof expiry)}
              >
                <option value="day">in a day</option>
                <option value="week">in a week</option>
                <option value="month">in a month</option>
                <option value="quarter">in three months</option>
                <option value="never">never</option>
              </select>
            </label>{' '}
            <button type="submit">Create token</button>
          </form>
          {created ? (
            <p class="ok" role="status">
              Token <strong>{created.name}</strong>:{' '}
              <code data-testid="new-token">{created.token}</code> — copy it now; it is not shown
              again.
            </p>
          ) : null}
          {error ? <p class="error">{error}</p> : null}
        </>
      )}
    </section>
  )
}
