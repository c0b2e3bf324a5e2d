/**
 * The dashboard: sign-in, the range and filters (kept in the address's hash), and the views.
 */
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks'
import { ApiError, DaybookApi, type Settings } from '../../src/client/api.ts'
import { ScreenshotsApi } from '../../src/client/screenshots.ts'
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
import { formatStamp } from './format.ts'
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

/**
 * The settings asked for as the script starts, before the first render: the calendar needs them
 * before the first chart's requests can go out, so waiting for the first render would put a
 * render on the first chart's path. Taken by the first load of the settings with the same token.
 */
let earlySettings: { token: string; settings: Promise<Settings> } | undefined = (() => {
  const session = loadSession()
  if (session === undefined || location.hash.includes('code=')) return undefined
  const settings = new DaybookApi({ token: session.token }).settings()
  settings.catch(() => undefined) // read (or asked again) by the first load
  return { token: session.token, settings }
})()

function loadSettings(api: DaybookApi, token: string, signal: AbortSignal): Promise<Settings> {
  const early = earlySettings
  earlySettings = undefined
  // A failed early request is asked again through `api`, whose 401 signs out.
  return early?.token === token
    ? early.settings.catch(() => api.settings(signal))
    : api.settings(signal)
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

  // A sign-in link: exchange its one-time code for a session token. Read at load and on every
  // change of the hash: a link pasted into an open tab changes only the hash, which reloads
  // nothing.
  useEffect(() => {
    let ctrl: AbortController | undefined
    const takeCode = () => {
      const code = takeCodeFromHash()
      if (code === undefined) return false
      ctrl?.abort()
      const mine = (ctrl = new AbortController())
      setExchanging(true)
      new DaybookApi()
        .createSession(code)
        .then((s) => {
          if (mine.signal.aborted) return
          const stored = { token: s.token, scope: s.scope, expiresAt: s.expiresAt }
          saveSession(stored)
          setSignInError(undefined)
          setSession(stored)
        })
        .catch((e: unknown) => {
          if (mine.signal.aborted) return
          clearSession()
          setSession(undefined)
          setSignInError(e instanceof Error ? e.message : String(e))
        })
        .finally(() => {
          if (!mine.signal.aborted) setExchanging(false)
        })
      return true
    }
    takeCode()
    const onHash = () => {
      // The code leaves the address at once; the route is what remains of the hash.
      takeCode()
      setRoute(parseHash(location.hash))
    }
    addEventListener('hashchange', onHash)
    return () => {
      ctrl?.abort()
      removeEventListener('hashchange', onHash)
    }
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
    (signal) =>
      api && session ? loadSettings(api, session.token, signal) : Promise.resolve(undefined),
    [api, tick],
  )
  // Whether screenshots are being taken: said in the header whenever they are.
  const capture = useLoad(
    (signal) =>
      api
        ? new ScreenshotsApi(api).metrics(signal).catch(() => undefined)
        : Promise.resolve(undefined),
    [api, tick],
  )

  // The calendar, the context and the selection keep their identity while nothing in them
  // changes: the views skip rendering again what has not changed (see memo.ts).
  const s = settings.data
  const zone = useMemo(() => {
    if (!s) return undefined
    const tz = route.tz ?? s.timezone ?? browserZone()
    try {
      return { tz, cal: makeCalendar(tz, s.startOfDay), error: undefined }
    } catch {
      return {
        tz: browserZone(),
        cal: makeCalendar(browserZone(), s.startOfDay),
        error: `Unknown time zone ${tz}; showing ${browserZone()}`,
      }
    }
  }, [route.tz, s])
  const cal: Calendar | undefined = zone?.cal
  const tz = zone?.tz ?? browserZone()
  const zoneError = zone?.error
  const ctx = useMemo<Ctx | undefined>(
    () => (s && cal && api && session ? { api, session, settings: s, cal, tz, tick } : undefined),
    [api, session, s, cal, tz, tick],
  )
  const selKey = route.sel ? selectionPath(route.sel) : undefined
  const sel = useMemo(
    () => route.sel ?? (cal ? presetSelection('today', Date.now(), cal) : undefined),
    [selKey, cal],
  )
  const filtersKey = JSON.stringify(route.filters)
  const filters = useMemo(() => route.filters, [filtersKey])
  const onSelect = useCallback((next: Selection) => navigate({ sel: next }), [navigate])
  const onZone = useCallback((zone?: string) => navigate({ tz: zone }), [navigate])
  const onGroup = useCallback((group: Group) => navigate({ group }), [navigate])
  const onFilters = useCallback((f: ActiveFilters) => navigate({ filters: f }), [navigate])

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
              : `Last update ${formatStamp(live.lastChange, tz)}`
          }
        >
          {live.state === 'live' ? 'Live' : live.state === 'connecting' ? 'Connecting…' : 'Offline'}
        </span>
        {capture.data?.capturing ? (
          <span
            class="capture-on"
            data-testid="capture-indicator"
            role="status"
            title="Screenshots of the focused window are being taken (daybook screenshots pause)"
          >
            ● Screenshots on
          </span>
        ) : null}
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
          filters={filters}
          zoneOverride={route.tz}
          onSelect={onSelect}
          onZone={onZone}
          onGroup={onGroup}
          onFilters={onFilters}
        />
      )}
    </div>
  )
}
