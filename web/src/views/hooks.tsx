/**
 * Hooks: rules that act on what you do. The rules with their progress ("38 of 50 minutes"),
 * turned on and off, tested, deleted; new ones from templates; do-not-disturb; the firing log.
 * Hooks are admin-only (rules hold webhook secrets and commands): a data session says how to get
 * an admin one. Self-contained: it needs the client and the zone times are shown in.
 */
import { useEffect, useState } from 'preact/hooks'
import { ApiError, type DaybookApi } from '../../../src/client/api.ts'
import {
  type Dnd,
  type HookLogEntry,
  type HookRule,
  type HookStatus,
  HooksApi,
  type NewHookRule,
} from '../../../src/client/hooks.ts'
import {
  HOOK_TEMPLATES,
  type HookTemplate,
  type TemplateField,
  ruleId,
} from '../../../src/domain/hooks/templates.ts'

/** How often the page reads progress and the log again (the daemon evaluates every 15 s). */
const REFRESH_MS = 10_000
const LOG_PAGE = 20

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

function when(ms: string | null, timeZone: string): string {
  if (ms === null) return 'never'
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(Date.parse(ms))
}

/** `activity ≥ 50 min`, `no_break 50/5 min`: what a rule watches, short. */
function describe(rule: HookRule): string {
  const w = rule.when
  const match = Object.entries(w.match ?? {})
    .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join('|') : `/${v}/`}`)
    .join(', ')
  const n =
    w.minutes === undefined
      ? ''
      : ` ${w.minutes}${w.breakMinutes === undefined ? '' : `/${w.breakMinutes}`} min`
  return `${w.kind.replace(/_/g, ' ')}${n}${match === '' ? '' : ` · ${match}`}`
}

function outcome(a: HookLogEntry['actions'][number]): string {
  if (a.ok === null) return `${a.kind}: ${String(a.status)}`
  if (a.ok) return `${a.kind}: ${a.status === null ? 'ok' : String(a.status)}`
  return `${a.kind}: ${a.error ?? 'failed'}`
}

export function HooksView(props: { api: DaybookApi; timeZone: string }) {
  const hooks = new HooksApi(props.api)
  const [version, setVersion] = useState(0)
  const [rules, setRules] = useState<HookRule[] | undefined>(undefined)
  const [statuses, setStatuses] = useState<HookStatus[]>([])
  const [entries, setEntries] = useState<HookLogEntry[]>([])
  const [count, setCount] = useState(0)
  const [offset, setOffset] = useState(0)
  const [dnd, setDnd] = useState<Dnd | undefined>(undefined)
  const [forbidden, setForbidden] = useState(false)
  const [failure, setFailure] = useState<string | undefined>(undefined)
  const [result, setResult] = useState<{ ok: boolean; text: string } | undefined>(undefined)
  const [template, setTemplate] = useState<HookTemplate | undefined>(undefined)
  const [values, setValues] = useState<Record<string, string>>({})

  useEffect(() => {
    const ctrl = new AbortController()
    const load = () => {
      Promise.all([
        hooks.rules(ctrl.signal),
        hooks.statuses(ctrl.signal),
        hooks.log({ limit: LOG_PAGE, offset }, ctrl.signal),
        hooks.logCount(undefined, ctrl.signal),
        hooks.dnd(ctrl.signal),
      ]).then(
        ([r, s, l, c, d]) => {
          setRules(r)
          setStatuses(s)
          setEntries(l)
          setCount(c.count)
          setDnd(d)
          setFailure(undefined)
        },
        (e: unknown) => {
          if (ctrl.signal.aborted) return
          if (e instanceof ApiError && e.status === 403) setForbidden(true)
          else setFailure(message(e))
        },
      )
    }
    load()
    const timer = setInterval(load, REFRESH_MS)
    return () => {
      ctrl.abort()
      clearInterval(timer)
    }
  }, [props.api, version, offset])

  const reload = () => setVersion((v) => v + 1)
  const save = async (next: NewHookRule[], what: string) => {
    try {
      await hooks.setRules(next)
      setResult({ ok: true, text: what })
      reload()
      return true
    } catch (e) {
      setResult({ ok: false, text: message(e) })
      return false
    }
  }

  if (forbidden) {
    return (
      <main class="hooks">
        <h2>Hooks</h2>
        <p class="note" data-testid="needs-admin">
          Hooks need an admin session (rules hold webhook secrets and commands): run{' '}
          <code>daybook open --admin</code>.
        </p>
      </main>
    )
  }

  const status = (id: string) => statuses.find((s) => s.id === id)
  const list = rules ?? []

  return (
    <main class="hooks">
      <h2>Hooks</h2>
      <p class="muted">
        Rules that act on what you do: a notification, a webhook, a command, a label or a stream
        event, once each time a threshold is crossed.
      </p>
      {failure ? (
        <p class="error" role="alert">
          Cannot load the hooks: {failure}
        </p>
      ) : null}
      {result ? (
        <p role="status" class={result.ok ? 'ok' : 'error'} data-testid="hooks-result">
          {result.text}
        </p>
      ) : null}

      <section class="card" aria-label="Rules" aria-busy={rules === undefined}>
        <h3>Rules</h3>
        {rules !== undefined && list.length === 0 ? (
          <p class="muted" data-testid="no-hooks">
            No rules yet: start from a template below.
          </p>
        ) : null}
        {list.length > 0 ? (
          <table data-testid="hooks-rules">
            <thead>
              <tr>
                <th scope="col">On</th>
                <th scope="col">Rule</th>
                <th scope="col">When</th>
                <th scope="col">Now</th>
                <th scope="col">Last fired</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((rule) => {
                const s = status(rule.id)
                return (
                  <tr data-testid="hook-row" data-id={rule.id}>
                    <td>
                      <input
                        type="checkbox"
                        data-testid="hook-enabled"
                        aria-label={`${rule.name} on`}
                        checked={rule.enabled}
                        onChange={(e) => {
                          const enabled = e.currentTarget.checked
                          void save(
                            list.map((r) => (r.id === rule.id ? { ...r, enabled } : r)),
                            `${rule.name} is ${enabled ? 'on' : 'off'}`,
                          )
                        }}
                      />
                    </td>
                    <td>
                      {rule.name}
                      <br />
                      <span class="muted">
                        {rule.then.map((a) => a.kind).join(', ')}
                        {rule.cooldownMinutes > 0 ? ` · cooldown ${rule.cooldownMinutes} min` : ''}
                      </span>
                    </td>
                    <td>{describe(rule)}</td>
                    <td data-testid="hook-progress">
                      {!rule.enabled ? (
                        'off'
                      ) : s?.progress ? (
                        <>
                          {s.progress.threshold > 0 && s.progress.value >= 0 ? (
                            <meter
                              min={0}
                              max={s.progress.threshold}
                              value={Math.min(s.progress.value, s.progress.threshold)}
                            />
                          ) : null}{' '}
                          {s.progress.text}
                        </>
                      ) : (
                        '…'
                      )}
                      {s?.lastError ? (
                        <span class="error" data-testid="hook-error">
                          <br />
                          {s.lastError}
                        </span>
                      ) : null}
                      {s && s.waiting > 0 ? (
                        <span class="muted">
                          <br />
                          {s.waiting} notification(s) wait for do-not-disturb
                        </span>
                      ) : null}
                    </td>
                    <td>{when(s?.lastFired ?? null, props.timeZone)}</td>
                    <td>
                      <button
                        type="button"
                        data-testid="hook-test"
                        onClick={() => {
                          hooks.test(rule.id).then(
                            (entry) => {
                              const failed = entry.actions.some((a) => a.ok === false)
                              setResult({
                                ok: !failed,
                                text: `Tested ${rule.name}: ${entry.actions.map(outcome).join('; ')}`,
                              })
                              reload()
                            },
                            (e: unknown) => setResult({ ok: false, text: message(e) }),
                          )
                        }}
                      >
                        Test
                      </button>{' '}
                      <button
                        type="button"
                        aria-label={`Delete ${rule.name}`}
                        onClick={() => {
                          if (!confirm(`Delete the rule ${rule.name}?`)) return
                          void save(
                            list.filter((r) => r.id !== rule.id),
                            `${rule.name} deleted`,
                          )
                        }}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        ) : null}
      </section>

      <section class="card" aria-label="New rule">
        <h3>New rule</h3>
        <div class="seg-control" role="group" aria-label="Templates" data-testid="hook-templates">
          {HOOK_TEMPLATES.map((t) => (
            <button
              type="button"
              aria-pressed={template?.id === t.id}
              title={t.description}
              onClick={() => {
                setTemplate(t)
                setValues(Object.fromEntries(t.fields.map((f) => [f.key, f.value])))
              }}
            >
              {t.title}
            </button>
          ))}
        </div>
        {template ? (
          <form
            data-testid="hook-form"
            onSubmit={(e) => {
              e.preventDefault()
              const id = ruleId(
                values.name ?? template.title,
                list.map((r) => r.id),
              )
              const rule = template.build(values, id)
              void save([...list, rule as NewHookRule], `${rule.name ?? id} created`).then((ok) => {
                if (ok) setTemplate(undefined)
              })
            }}
          >
            <p class="muted">{template.description}</p>
            {template.fields.map((f) => (
              <p>
                <label>
                  {f.label}{' '}
                  <Field
                    field={f}
                    value={values[f.key] ?? ''}
                    onValue={(v) => setValues({ ...values, [f.key]: v })}
                  />
                </label>
              </p>
            ))}
            <button type="submit">Create rule</button>{' '}
            <button type="button" class="link" onClick={() => setTemplate(undefined)}>
              Cancel
            </button>
          </form>
        ) : (
          <p class="muted">Pick a template to start from.</p>
        )}
      </section>

      <section class="card" aria-label="Do not disturb" data-testid="hooks-dnd">
        <h3>Do not disturb</h3>
        <p>
          <label>
            <input
              type="checkbox"
              data-testid="dnd-enabled"
              checked={dnd?.enabled ?? false}
              disabled={dnd === undefined}
              onChange={(e) => {
                hooks.setDnd({ enabled: e.currentTarget.checked, until: null }).then(
                  (d) => setDnd(d),
                  (err: unknown) => setResult({ ok: false, text: message(err) }),
                )
              }}
            />{' '}
            Hold notifications (webhooks and commands still run)
          </label>
        </p>
        <p class="muted" data-testid="dnd-state">
          {dnd === undefined
            ? '…'
            : dnd.active
              ? `On now (${dnd.reason === 'manual' ? 'turned on' : 'quiet hours'})`
              : 'Off now'}
          {dnd && dnd.quietHours.length > 0
            ? ` · quiet hours ${dnd.quietHours.map((q) => `${q.start}–${q.end}`).join(', ')}`
            : ''}
        </p>
      </section>

      <section class="card" aria-label="Log">
        <h3>Log</h3>
        {entries.length === 0 ? (
          <p class="muted">No rule has fired yet.</p>
        ) : (
          <table data-testid="hooks-log">
            <thead>
              <tr>
                <th scope="col">Fired</th>
                <th scope="col">Rule</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr data-testid="log-row">
                  <td>{when(e.firedAt, props.timeZone)}</td>
                  <td>
                    {list.find((r) => r.id === e.hookId)?.name ?? e.hookId}
                    {(e.payload as { test?: boolean }).test ? ' (test)' : ''}
                  </td>
                  <td>
                    {e.actions.map((a) => (
                      <span class={a.ok === false ? 'error' : a.ok ? 'ok' : 'muted'}>
                        {outcome(a)}{' '}
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {count > LOG_PAGE ? (
          <p>
            <button
              type="button"
              disabled={offset === 0}
              onClick={() => setOffset(Math.max(0, offset - LOG_PAGE))}
            >
              Newer
            </button>{' '}
            <span class="muted">
              {offset + 1}–{Math.min(count, offset + LOG_PAGE)} of {count}
            </span>{' '}
            <button
              type="button"
              disabled={offset + LOG_PAGE >= count}
              onClick={() => setOffset(offset + LOG_PAGE)}
            >
              Older
            </button>
          </p>
        ) : null}
      </section>
    </main>
  )
}

/** One input of a template's form. */
function Field(props: { field: TemplateField; value: string; onValue: (value: string) => void }) {
  const { field: f, value } = props
  const common = {
    name: f.key,
    required: f.required,
    value,
    onInput: (e: { currentTarget: { value: string } }) => props.onValue(e.currentTarget.value),
  }
  switch (f.type) {
    case 'lines':
      return <textarea rows={3} {...common} />
    case 'minutes':
      return <input type="number" min={1} max={1440} {...common} />
    case 'url':
      return <input type="url" {...common} />
    case 'secret':
      return <input type="password" autocomplete="off" {...common} />
    default:
      return <input type="text" {...common} />
  }
}
