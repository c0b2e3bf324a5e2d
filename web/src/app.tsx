/**
 * The dashboard: sign-in, the range and filters (kept in the address's hash), and the views.
 */
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks'
import { ApiError, DaybookApi } from '../../src/client/api.ts'
import { type Calendar, makeCalendar } from '../../src/domain/calendar.ts'
import {
  type ActiveFilters,
  type Ctx,
  FILTER_DIMS,
  type FilterDim,
  type Group,
  GROUPS,
} from './context.ts'
import { useLive, useLoad } from './hooks.ts'
import { type Selection, presetSelection, selectionFromPath, selectionPath } from './range.ts'
import {
  clearSession,
  loadSession,
  saveSession,
  type StoredSession,
  takeCodeFromHash,
} from './session.ts'
import { HooksView } from './views/hooks.tsx'
import { Overview } from './views/overview.tsx'
import { SettingsView } from './views/settings.tsx'
import { SignIn } from './views/signin.tsx'
import { StatusView } from './views/status.tsx'

type View = 'overview' | 'status' | 'settings' | 'hooks'

interface Route {
  view: View
  sel: Selection | undefined
  tz: string | undefined
  group: Group
  filters: ActiveFilters
}

function parseHash(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?')
  const params = new URLSearchParams(search)
  const first = path.split('/').filter((p) => p !== '')[0]
  const view: View =
    first === 'status' || first === 'settings' || first === 'hooks' ? first : 'overview'
  const filters: ActiveFilters = {}
  for (const dim of Object.keys(FILTER_DIMS) as FilterDim[]) {
    const v = params.get(dim)
    if (v !== null && v !== '') filters[dim] = v
  }
  const group = params.get('group')
  return {
    view,
    sel: view === 'overview' ? selectionFromPath(path) : undefined,
    tz: params.get('tz') ?? undefined,
    group: GROUPS.includes(group as Group) ? (group as Group) : 'category',
    filters,
  }
}

function formatHash(r: Route): string {
  const params = new URLSearchParams()
  if (r.tz !== undefined) params.set('tz', r.tz)
  if (r.group !== 'category') params.set('group', r.group)
  for (const [dim, v] of Object.entries(r.filters)) if (v !== undefined) params.set(dim, v)
  const path = r.view === 'overview' ? (r.sel ? selectionPath(r.sel) : '/') : `/${r.view}`
  const q = params.toString()
  return `#${path}${q === '' ? '' : `?${q}`}`
}

const VIEW_NAMES: Record<View, string> = {
  overview: 'Overview',
  status: 'Status',
  settings: 'Settings',
  hooks: 'Hooks',
}

function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone
}

export function App() {
  const [session, setSession] = useState<StoredSession | undefined>(() => loadSession())
  const [signInError, setSignInError] = useState<string | undefined>(undefined)
  const [exchanging, setExchanging] = useState(false)
  const [route, setRoute] = useState<Route>(() => parseHash(location.hash))
  const [tick, setTick] = useState(0)

  const signOut = useCallback((reason?: string) => {
    clearSession()
    setSession(undefined)
    setSignInError(reason)
  }, [])

  const api = useMemo(
    () =>
      session
        ? new DaybookApi({
            token: session.token,
            onUnauthorized: (e) => signOut(`Signed out: ${e.message}`),
          })
        : undefined,
    [session, signOut],
  )

  // A sign-in link: exchange its one-time code for a session token.
  useEffect(() => {
    const code = takeCodeFromHash()
    if (code === undefined) return
    setExchanging(true)
    new DaybookApi()
      .createSession(code)
      .then((s) => {
        const stored = { token: s.token, scope: s.scope, expiresAt: s.expiresAt }
        saveSession(stored)
        setSignInError(undefined)
        setSession(stored)
      })
      .catch((e: unknown) => {
        clearSession()
        setSession(undefined)
        setSignInError(e instanceof Error ? e.message : String(e))
      })
      .finally(() => setExchanging(false))
  }, [])

  useEffect(() => {
    const onHash = () => setRoute(parseHash(location.hash))
    addEventListener('hashchange', onHash)
    return () => removeEventListener('hashchange', onHash)
  }, [])

  const navigate = useCallback((change: Partial<Route>) => {
    setRoute((r) => {
      const next = { ...r, ...change }
      const hash = formatHash(next)
      if (hash !== location.hash) history.pushState(null, '', hash)
      return next
    })
  }, [])

  const live = useLive(api, () => setTick((t) => t + 1))

  const settings = useLoad(
    (signal) => (api ? api.settings(signal) : Promise.resolve(undefined)),
    [api, tick],
  )

  if (exchanging) {
    return (
      <main class="signin">
        <p role="status">Signing in…</p>
      </main>
    )
  }
  if (!session || !api) {
    return (
      <SignIn
        error={signInError}
        onToken={(token) => {
          const stored = { token, scope: 'unknown', expiresAt: null }
          saveSession(stored)
          setSignInError(undefined)
          setSession(stored)
        }}
      />
    )
  }

  const s = settings.data
  let cal: Calendar | undefined
  let tz = route.tz ?? s?.timezone ?? browserZone()
  let zoneError: string | undefined
  if (s) {
    try {
      cal = makeCalendar(tz, s.startOfDay)
    } catch {
      zoneError = `Unknown time zone ${tz}; showing ${browserZone()}`
      tz = browserZone()
      cal = makeCalendar(tz, s.startOfDay)
    }
  }
  const ctx: Ctx | undefined = s && cal ? { api, session, settings: s, cal, tz, tick } : undefined
  const sel = route.sel ?? (cal ? presetSelection('today', Date.now(), cal) : undefined)

  return (
    <div class="shell">
      <header class="top">
        <h1>Daybook</h1>
        <nav aria-label="Views">
          {(['overview', 'status', 'settings', 'hooks'] as const).map((v) => (
            <a
              href={formatHash({ ...route, view: v, sel: v === 'overview' ? sel : undefined })}
              aria-current={route.view === v ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault()
                navigate({ view: v, sel: v === 'overview' ? sel : undefined })
              }}
            >
              {VIEW_NAMES[v]}
            </a>
          ))}
        </nav>
        <span
          class={`live live-${live.state}`}
          data-testid="live-indicator"
          data-state={live.state}
          role="status"
          aria-live="polite"
          title={
            live.lastChange === undefined
              ? 'New activity appears without reloading'
              : `Last update ${new Date(live.lastChange).toLocaleTimeString()}`
          }
        >
          {live.state === 'live' ? 'Live' : live.state === 'connecting' ? 'Connecting…' : 'Offline'}
        </span>
        <button type="button" class="link" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      {settings.error && !(settings.error instanceof ApiError && settings.error.status === 401) ? (
        <p class="error" role="alert">
          Cannot load the settings: {settings.error.message}
        </p>
      ) : null}
      {zoneError ? (
        <p class="error" role="alert">
          {zoneError}
        </p>
      ) : null}
      {!ctx || !sel ? (
        <p role="status">Loading…</p>
      ) : route.view === 'status' ? (
        <StatusView ctx={ctx} />
      ) : route.view === 'hooks' ? (
        <HooksView api={api} timeZone={tz} />
      ) : route.view === 'settings' ? (
        <SettingsView ctx={ctx} onSaved={() => setTick((t) => t + 1)} />
      ) : (
        <Overview
          ctx={ctx}
          sel={sel}
          group={route.group}
          filters={route.filters}
          zoneOverride={route.tz}
          onSelect={(next) => navigate({ sel: next })}
          onZone={(zone) => navigate({ tz: zone })}
          onGroup={(group) => navigate({ group })}
          onFilters={(filters) => navigate({ filters })}
        />
      )}
    </div>
  )
}
