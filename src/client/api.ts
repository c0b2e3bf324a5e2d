/**
 * The typed, fetch-based Daybook client: what the dashboard uses for every call, and what any
 * program that speaks to the daemon over TCP can use (browser or Node; no Node-only imports).
 * Request and response types are the route schemas' own (`Static<typeof Schema>`, imported as
 * types only, so nothing of the server is bundled).
 */
import type { Static } from '#typebox'
import type { Device } from '../api/routes/devices.ts'
import type { HistoryStats, SessionWire } from '../api/routes/history.ts'
import type { SearchBody } from '../api/routes/search.ts'
import type { Timeline as TimelineSchema } from '../api/routes/timeline.ts'
import type {
  JoinBody,
  PairingCodeWire,
  SyncClientWire,
  SyncStatusWire,
} from '../api/schemas/sync.ts'
import type { Status } from '../api/routes/status.ts'
import type { PresetParam as PresetParamSchema } from '../api/schemas/common.ts'
import type { EventsResponse, FullEvent } from '../api/schemas/events.ts'
import type { AnalysisRange, InputTimeseriesResponse } from '../api/schemas/input.ts'
import type { Heatmap as HeatmapSchema, HeatmapQuery } from '../api/schemas/heatmap.ts'
import type { LabelBody, LabelWire } from '../api/schemas/labels.ts'
import type {
  BucketRow,
  BucketsQuery,
  InsightResponse,
  InsightsQuery,
  SettingsBody,
  SettingsPatch,
  SummaryQuery,
} from '../api/schemas/summary.ts'
import type { ApiToken, CreateTokenBody } from '../api/schemas/tokens.ts'
import type { User as UserSchema } from '../api/routes/users.ts'
import type {
  LeaderboardResponse,
  SharesBody,
  SharesResponse,
  TeamDetail as TeamDetailSchema,
  TeamListItem,
  TotalsResponse,
} from '../api/schemas/teams.ts'
import type {
  Session as SessionSchema,
  SessionCode as SessionCodeSchema,
} from '../api/schemas/session.ts'
import type { Scope } from '../domain/access.ts'
import type { BucketUnit } from '../domain/calendar.ts'
import type { Dimension } from '../domain/events.ts'
import type { InsightType } from '../domain/insights.ts'
import type { UnitPresetName } from '../domain/presets.ts'
import type { Expiry, TokenFormat } from '../services/tokens.ts'

export type { FullEvent }

// The schemas build some unions from constant lists (`Type.Union(LIST.map(Type.Literal))`), whose
// static type TypeBox cannot narrow (it comes out as `never`): those fields are restated here
// from the same constants.

/** A range: a unit preset, a count preset, or custom start/end with a bucket. */
export type PresetParam =
  | UnitPresetName
  | Exclude<Static<typeof PresetParamSchema>, string | { custom: unknown }>
  | { custom: { start: string; end: string; bucket?: BucketUnit } }
type Fix<T, F> = Omit<T, keyof F> & F
export type SummaryParams = Fix<Static<typeof SummaryQuery>, { preset?: PresetParam }>
export type BucketsParams = Fix<
  Static<typeof BucketsQuery>,
  { preset: PresetParam; groupBy?: Dimension | 'label'; bucket?: BucketUnit }
>
export type InsightsParams = Fix<
  Static<typeof InsightsQuery>,
  { insightType: InsightType; groupBy?: Dimension; bucket?: BucketUnit }
>
export type Bucket = Static<typeof BucketRow>
export type Label = Static<typeof LabelWire>
export type NewLabel = Static<typeof LabelBody>
export type Settings = Static<typeof SettingsBody>
export type SettingsChange = Static<typeof SettingsPatch>
export type StatusReport = Static<typeof Status>
export type DeviceInfo = Static<typeof Device>
export type User = Static<typeof UserSchema>
export type TeamSummary = Static<typeof TeamListItem>
export type TeamDetail = Static<typeof TeamDetailSchema>
export type TeamShares = Static<typeof SharesResponse>
export type NewTeamShares = Static<typeof SharesBody>
export type TeamTotals = Static<typeof TotalsResponse>
export type Leaderboard = Static<typeof LeaderboardResponse>
export type Token = Fix<Static<typeof ApiToken>, { acl: Scope; format: TokenFormat }>
export type NewToken = Fix<
  Static<typeof CreateTokenBody>,
  { acl: Scope; expiry: Expiry; format?: TokenFormat }
>
export type Insight = Static<typeof InsightResponse>
export type ActivitySession = Static<typeof SessionWire>
export type RecordedStats = Static<typeof HistoryStats>
export type SearchQuery = Static<typeof SearchBody>
/** A search hit (`SearchHitWire`, whose refs TypeBox cannot resolve statically). */
export type SearchHit =
  | { type: 'event'; event: FullEvent; activeSeconds: number }
  | { type: 'label'; label: Label; activeSeconds: number }
export type Timeline = Static<typeof TimelineSchema>
export type SyncStatus = Static<typeof SyncStatusWire>
export type SyncJoin = Static<typeof JoinBody>
export type PairingCode = Static<typeof PairingCodeWire>
export type SyncClient = Static<typeof SyncClientWire>
export type SyncClients = { clients: SyncClient[]; lastSeq: number }
export type InputSeries = Static<typeof InputTimeseriesResponse>
export type Filters = Pick<
  Static<typeof SummaryQuery>,
  'apps' | 'projects' | 'categories' | 'entities' | 'branches' | 'languages' | 'sources' | 'devices'
>

/** `GET /v1/input/heatmap`: keys and clicks per local weekday (ISO, Monday = 1) and hour. */
export type Heatmap = Static<typeof HeatmapSchema>

/** `POST /v1/session`: a sign-in code exchanged for a session token. */
export type Session = Static<typeof SessionSchema>

/** `POST /v1/session/codes`: a one-time sign-in code and the URL that carries it. */
export type SessionCode = Static<typeof SessionCodeSchema>

/** The daemon answered with an error status; carries its `code`, `message` and `field`. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly field: string | undefined

  constructor(status: number, code: string, message: string, field?: string) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.field = field
  }
}

/**
 * How a request travels: by default `fetch` to `baseUrl`; the CLI passes its own (HTTP over TCP
 * or the daemon's Unix socket), so both share the typed methods below.
 */
export type Transport = (
  method: string,
  path: string,
  options: { query?: Record<string, unknown>; body?: unknown; signal?: AbortSignal },
) => Promise<unknown>

export interface ApiOptions {
  /** Where the daemon is, e.g. `http://127.0.0.1:5610`; empty: the page's own origin. */
  baseUrl?: string
  /** The bearer token, or a function read before each request (a session may change). */
  token?: string | (() => string | undefined)
  /** Called with every `ApiError` of status 401 before it is thrown (a session that ended). */
  onUnauthorized?: (error: ApiError) => void
  fetch?: typeof fetch
  /** Replaces fetch (and `baseUrl`, `token`, `onUnauthorized`, which it then handles itself). */
  transport?: Transport
}

/**
 * A query string in the bracket forms the daemon reads: `preset[custom][start]=…`,
 * `projects[0]=a&projects[1]=b`. Undefined and null values are left out.
 */
export function encodeQuery(query: Record<string, unknown>): string {
  const parts: string[] = []
  const add = (key: string, value: unknown): void => {
    if (value === undefined || value === null) return
    if (Array.isArray(value)) {
      value.forEach((v, i) => add(`${key}[${i}]`, v))
    } else if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) add(`${key}[${k}]`, v)
    } else {
      parts.push(
        `${encodeURIComponent(key)}=${encodeURIComponent(value as string | number | boolean)}`,
      )
    }
  }
  for (const [k, v] of Object.entries(query)) add(k, v)
  return parts.join('&')
}

export class DaybookApi {
  readonly baseUrl: string
  readonly #token: () => string | undefined
  readonly #onUnauthorized: ((error: ApiError) => void) | undefined
  readonly #fetch: typeof fetch
  readonly #transport: Transport | undefined

  constructor(options: ApiOptions = {}) {
    this.baseUrl = (options.baseUrl ?? '').replace(/\/$/, '')
    const token = options.token
    this.#token = typeof token === 'function' ? token : () => token
    this.#onUnauthorized = options.onUnauthorized
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis)
    this.#transport = options.transport
  }

  /** Sends a request; resolves to the parsed JSON body, rejects with `ApiError` on 4xx/5xx. */
  async request<T>(
    method: string,
    path: string,
    options: { query?: Record<string, unknown>; body?: unknown; signal?: AbortSignal } = {},
  ): Promise<T> {
    if (this.#transport) return (await this.#transport(method, path, options)) as T
    const query = options.query ? encodeQuery(options.query) : ''
    const headers: Record<string, string> = { accept: 'application/json' }
    const token = this.#token()
    if (token !== undefined) headers.authorization = `Bearer ${token}`
    if (options.body !== undefined) headers['content-type'] = 'application/json'
    const res = await this.#fetch(`${this.baseUrl}${path}${query === '' ? '' : `?${query}`}`, {
      method,
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
      signal: options.signal ?? null,
    })
    const text = await res.text()
    let parsed: unknown
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      throw new ApiError(res.status, 'not_json', `HTTP ${res.status}: the answer is not JSON`)
    }
    if (!res.ok) {
      const e = (parsed ?? {}) as { code?: string; message?: string; field?: string }
      const error = new ApiError(
        res.status,
        e.code ?? 'http_error',
        e.message ?? `HTTP ${res.status}`,
        e.field,
      )
      if (res.status === 401) this.#onUnauthorized?.(error)
      throw error
    }
    return parsed as T
  }

  // ---- summaries -----------------------------------------------------------------------------

  /** Active seconds in a range, with filters. */
  total(q: SummaryParams, signal?: AbortSignal): Promise<number> {
    return this.request('GET', '/v1/summary/total', { query: q, signal })
  }

  /** Active seconds per calendar bucket and group. */
  buckets(q: BucketsParams, signal?: AbortSignal): Promise<Bucket[]> {
    return this.request('GET', '/v1/summary/buckets', { query: q, signal })
  }

  insight(q: InsightsParams, signal?: AbortSignal): Promise<Insight> {
    return this.request('GET', '/v1/insights', { query: q, signal })
  }

  /**
   * Who owned the time of a range (a preset, or start and end): stretches of the active
   * timeline, at most `limit` a page; `after` = the previous page's `next`.
   */
  timeline(
    q: {
      preset?: PresetParam
      start?: string
      end?: string
      tz?: string
      limit?: number
      after?: string
    },
    signal?: AbortSignal,
  ): Promise<Timeline> {
    return this.request('GET', '/v1/timeline', { query: q, signal })
  }

  /** Sessions of continuous activity between start and end (RFC 3339). */
  sessions(q: { start: string; end: string }, signal?: AbortSignal): Promise<ActivitySession[]> {
    return this.request('GET', '/v1/history/sessions', { query: q, signal })
  }

  /** What is recorded: first and last activity, days, totals. */
  recorded(q: { tz?: string } = {}, signal?: AbortSignal): Promise<RecordedStats> {
    return this.request('GET', '/v1/history/stats', { query: q, signal })
  }

  /** Full-text search, newest first, with each hit's active seconds (data scope). */
  search(body: SearchQuery, signal?: AbortSignal): Promise<SearchHit[]> {
    return this.request('POST', '/v1/search/events', { body, signal })
  }

  // ---- events, AFK, input -------------------------------------------------------------------

  /** Events overlapping a range, flat (at most `limit`, default 10,000). */
  async events(
    q: Filters & { preset: PresetParam; tz?: string; limit?: number },
    signal?: AbortSignal,
  ): Promise<FullEvent[]> {
    const r = await this.request<Static<typeof EventsResponse>>('GET', '/v1/events', {
      query: q,
      signal,
    })
    return 'Flat' in r ? (r.Flat as FullEvent[]) : []
  }

  afk(q: { preset: PresetParam; tz?: string }, signal?: AbortSignal): Promise<FullEvent[]> {
    return this.request('GET', '/v1/afk', { query: q, signal })
  }

  inputSeries(range: Static<typeof AnalysisRange>, signal?: AbortSignal): Promise<InputSeries> {
    return this.request('POST', '/v1/analysis/timeseries', { body: range, signal })
  }

  heatmap(
    q: Fix<Static<typeof HeatmapQuery>, { preset?: PresetParam }>,
    signal?: AbortSignal,
  ): Promise<Heatmap> {
    return this.request('GET', '/v1/input/heatmap', { query: q, signal })
  }

  // ---- labels ------------------------------------------------------------------------------

  labels(q: { startUtc?: number; endUtc?: number; limit?: number }, signal?: AbortSignal) {
    return this.request<Label[]>('GET', '/v1/labels', { query: q, signal })
  }

  createLabel(body: NewLabel): Promise<Label> {
    return this.request('POST', '/v1/labels', { body })
  }

  deleteLabel(id: string): Promise<{ ok: boolean }> {
    return this.request('DELETE', `/v1/labels/${encodeURIComponent(id)}`)
  }

  // ---- the daemon ----------------------------------------------------------------------------

  status(signal?: AbortSignal): Promise<StatusReport> {
    return this.request('GET', '/v1/status', { signal })
  }

  devices(signal?: AbortSignal): Promise<DeviceInfo[]> {
    return this.request('GET', '/v1/devices', { signal })
  }

  settings(signal?: AbortSignal): Promise<Settings> {
    return this.request('GET', '/v1/settings', { signal })
  }

  /** Admin only: the keys given are replaced. */
  changeSettings(patch: SettingsChange): Promise<Settings> {
    return this.request('PUT', '/v1/settings', { body: patch })
  }

  /** Admin only. */
  tokens(signal?: AbortSignal): Promise<Token[]> {
    return this.request('GET', '/v1/auth/tokens', { signal })
  }

  /**
   * Admin only: the answer holds the secret, shown this once. With `user`, a token of that
   * user's diary (a server admin only).
   */
  createToken(body: NewToken, user?: string): Promise<Token> {
    const path =
      user === undefined ? '/v1/auth/tokens' : `/v1/users/${encodeURIComponent(user)}/tokens`
    return this.request('POST', path, { body })
  }

  // ---- users (a team server; server admins only) ----------------------------------------------

  users(signal?: AbortSignal): Promise<User[]> {
    return this.request('GET', '/v1/users', { signal })
  }

  addUser(name: string, admin: boolean): Promise<User> {
    return this.request('POST', '/v1/users', { body: { name, admin } })
  }

  setUserAdmin(name: string, admin: boolean): Promise<User> {
    return this.request('PATCH', `/v1/users/${encodeURIComponent(name)}`, { body: { admin } })
  }

  removeUser(name: string): Promise<{ ok: true }> {
    return this.request('DELETE', `/v1/users/${encodeURIComponent(name)}`)
  }

  // ---- teams (a team server: what members share, by consent) ---------------------------------

  teams(signal?: AbortSignal): Promise<TeamSummary[]> {
    return this.request('GET', '/v1/teams', { signal })
  }

  createTeam(name: string): Promise<TeamDetail> {
    return this.request('POST', '/v1/teams', { body: { name } })
  }

  team(id: string, signal?: AbortSignal): Promise<TeamDetail> {
    return this.request('GET', `/v1/teams/${encodeURIComponent(id)}`, { signal })
  }

  deleteTeam(id: string): Promise<{ ok: true }> {
    return this.request('DELETE', `/v1/teams/${encodeURIComponent(id)}`)
  }

  /** Team admins: invites a user, who is in once they accept. */
  inviteToTeam(id: string, user: string): Promise<TeamDetail> {
    return this.request('POST', `/v1/teams/${encodeURIComponent(id)}/members`, { body: { user } })
  }

  acceptTeam(id: string): Promise<TeamDetail> {
    return this.request('POST', `/v1/teams/${encodeURIComponent(id)}/accept`)
  }

  /** Leaves (or declines) for yourself; a team admin removes another member. */
  leaveTeam(id: string, user: string): Promise<{ ok: true; deleted: boolean }> {
    return this.request(
      'DELETE',
      `/v1/teams/${encodeURIComponent(id)}/members/${encodeURIComponent(user)}`,
    )
  }

  teamShares(id: string, signal?: AbortSignal): Promise<TeamShares> {
    return this.request('GET', `/v1/teams/${encodeURIComponent(id)}/shares`, { signal })
  }

  /** Replaces what you share with the team. */
  setTeamShares(id: string, body: NewTeamShares): Promise<TeamShares> {
    return this.request('PUT', `/v1/teams/${encodeURIComponent(id)}/shares`, { body })
  }

  teamTotals(id: string, range?: string, signal?: AbortSignal): Promise<TeamTotals> {
    return this.request('GET', `/v1/teams/${encodeURIComponent(id)}/totals`, {
      query: range === undefined ? {} : { range },
      signal,
    })
  }

  leaderboard(id: string, range?: string, signal?: AbortSignal): Promise<Leaderboard> {
    return this.request('GET', `/v1/teams/${encodeURIComponent(id)}/leaderboard`, {
      query: range === undefined ? {} : { range },
      signal,
    })
  }

  /** Admin only: refused from the next request on, still listed. */
  revokeToken(id: string): Promise<{ ok: boolean }> {
    return this.request('POST', '/v1/auth/tokens/revoke', { body: { id } })
  }

  /** Admin only: refused from the next request on, no longer listed. */
  deleteToken(id: string): Promise<{ ok: boolean }> {
    return this.request('POST', '/v1/auth/tokens/delete', { body: { id } })
  }

  /** Admin only: a new default token (its file is rewritten); the old one stops working. */
  refreshDefaultToken(): Promise<{ ok: true; token: string }> {
    return this.request('POST', '/v1/auth/default-token/refresh')
  }

  // ---- sign-in -------------------------------------------------------------------------------

  /** Admin only: a one-time sign-in code (120 s) and the dashboard URL carrying it. */
  createSessionCode(scope: 'data' | 'admin' = 'data'): Promise<SessionCode> {
    return this.request('POST', '/v1/session/codes', { body: { scope } })
  }

  /** Exchanges a one-time code for a session token (no token needed). */
  createSession(code: string): Promise<Session> {
    return this.request('POST', '/v1/session', { body: { code } })
  }

  // ---- several devices (sync) -----------------------------------------------------------------

  /** This daemon's sync: its hub, state, cursors, pending changes, last sync, last error. */
  syncStatus(signal?: AbortSignal): Promise<SyncStatus> {
    return this.request('GET', '/v1/sync/status', { signal })
  }

  /** Admin only: pairs this daemon with a hub and starts syncing. */
  syncJoin(body: SyncJoin): Promise<SyncStatus> {
    return this.request('POST', '/v1/sync/join', { body })
  }

  /** Admin only: pushes everything pending and pulls until caught up. */
  syncNow(): Promise<SyncStatus> {
    return this.request('POST', '/v1/sync/now')
  }

  /** Admin only: stops syncing (the token revoked on the hub when reachable; data kept). */
  syncLeave(): Promise<{ left: boolean; hubReached: boolean }> {
    return this.request('POST', '/v1/sync/leave')
  }

  /**
   * Admin only, on a hub: a pairing code and the command to run on the new device; with `user`
   * (a server admin's token), for that user's diary.
   */
  syncPair(body: { name?: string; expires?: string } = {}, user?: string): Promise<PairingCode> {
    return this.request(
      'POST',
      user === undefined ? '/v1/sync/pair' : `/v1/users/${encodeURIComponent(user)}/sync/pair`,
      { body },
    )
  }

  /** Admin only, on a hub: the paired devices. */
  syncClients(signal?: AbortSignal): Promise<SyncClients> {
    return this.request('GET', '/v1/sync/clients', { signal })
  }

  /** Admin only, on a hub: revokes a paired device's token (with `purge`, deletes its data). */
  syncRevoke(id: string, purge = false): Promise<{ revoked: boolean; purged: number }> {
    return this.request('POST', '/v1/sync/clients/revoke', { body: { id, purge } })
  }

  /**
   * The URL of the live stream (`GET /v1/events` upgraded). The token goes in the query: browsers
   * cannot set headers on a WebSocket.
   */
  streamUrl(options: { types?: string[]; origin?: string } = {}): string {
    const origin = this.baseUrl === '' ? (options.origin ?? '') : this.baseUrl
    const query = encodeQuery({ types: options.types?.join(','), token: this.#token() })
    return `${origin.replace(/^http/, 'ws')}/v1/events${query === '' ? '' : `?${query}`}`
  }
}
