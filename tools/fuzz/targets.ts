/**
 * What the fuzzer sends requests to: every operation of the OpenAPI document (Daybook's routes
 * and WakaTime's), ActivityWatch's routes on their own listener, the MCP server, the dashboard's
 * files and the Skopio root aliases; each as an arbitrary request (path parameters, query string,
 * JSON body, headers, token) that is mostly what the route asks for and sometimes anything but.
 */
import fc from 'fast-check'
import qs from 'qs'
import {
  DuplicateKeys,
  Raw,
  type Schema,
  anyJson,
  jsonText,
  oddValue,
  text,
  valueOf,
} from './values.ts'

/** Which token a request presents, and how. */
export const TOKENS = ['admin', 'read_only', 'data', 'stream', 'ingest', 'none', 'wrong'] as const
export type TokenChoice = (typeof TOKENS)[number]
export type AuthForm = 'bearer' | 'raw' | 'basic' | 'query' | 'lowercase' | 'doubled'

/** One request, as generated: enough to send it and to print it as a test. */
export interface FuzzRequest {
  listener: 'api' | 'activitywatch'
  method: string
  url: string
  headers: Record<string, string>
  token: TokenChoice
  authForm: AuthForm
  payload: string | undefined
}

/** An operation: method, path template and the schemas of its parts. */
export interface Operation {
  listener: 'api' | 'activitywatch'
  method: string
  path: string
  params?: Record<string, Schema>
  query?: Schema
  body?: Schema
  /** Extra headers this route needs to answer at all (MCP's Accept). */
  headers?: Record<string, string>
}

interface OpenApi {
  paths: Record<string, Record<string, OpenApiOperation>>
  components?: { schemas?: Record<string, Schema> }
}

interface OpenApiOperation {
  parameters?: { name: string; in: string; schema?: Schema; required?: boolean }[]
  requestBody?: { content?: Record<string, { schema?: Schema }> }
}

/** The operations of an OpenAPI document. */
export function operationsOf(doc: OpenApi): Operation[] {
  const out: Operation[] = []
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params: Record<string, Schema> = {}
      const query: Schema = { type: 'object', properties: {}, required: [] }
      for (const p of op.parameters ?? []) {
        if (p.in === 'path') params[p.name] = p.schema ?? { type: 'string' }
        if (p.in === 'query') {
          ;(query.properties ??= {})[p.name] = p.schema ?? { type: 'string' }
          if (p.required) query.required?.push(p.name)
        }
      }
      out.push({
        listener: 'api',
        method: method.toUpperCase(),
        path: path.replace(/\{([^}]+)\}/g, ':$1'),
        params,
        query,
        ...(op.requestBody?.content?.['application/json']?.schema
          ? { body: op.requestBody.content['application/json'].schema }
          : {}),
      })
    }
  }
  return out
}

const str = (maxLength = 64): Schema => ({ type: 'string', maxLength })
const timestamp: Schema = { type: 'string', format: 'date-time' }
const awEvent: Schema = {
  type: 'object',
  required: ['timestamp', 'duration', 'data'],
  properties: {
    id: { type: 'integer', minimum: 0 },
    timestamp,
    duration: { type: 'number', minimum: 0, maximum: 86_400 },
    data: {
      type: 'object',
      properties: { app: str(), title: str(), url: str(), status: { enum: ['afk', 'not-afk'] } },
    },
  },
}
const awBucket: Schema = {
  type: 'object',
  required: ['client', 'type', 'hostname'],
  properties: {
    client: str(),
    type: {
      enum: ['currentwindow', 'afkstatus', 'web.tab.current', 'app.editor.activity', 'other'],
    },
    hostname: { anyOf: [str(), { const: '!local' }] },
    data: { type: 'object' },
  },
}
const awRange: Schema = {
  type: 'object',
  properties: {
    start: timestamp,
    end: timestamp,
    limit: { type: 'integer', minimum: -1 },
    starttime: timestamp,
    endtime: timestamp,
  },
}
/** Bucket ids: mostly a few that exist after a while, so routes get past the 404. */
const awBucketId: Schema = {
  anyOf: [
    {
      enum: [
        'aw-watcher-window_host',
        'aw-watcher-afk_host',
        'aw-watcher-web-firefox_host',
        'fuzz',
      ],
    },
    str(600),
  ],
}

/** ActivityWatch's REST API (not in the OpenAPI document: it is ActivityWatch's). */
export const ACTIVITYWATCH: Operation[] = [
  { method: 'GET', path: '/api/0/info' },
  { method: 'GET', path: '/api/0/buckets' },
  { method: 'GET', path: '/api/0/buckets/:bucket', params: { bucket: awBucketId } },
  {
    method: 'POST',
    path: '/api/0/buckets/:bucket',
    params: { bucket: awBucketId },
    body: awBucket,
  },
  { method: 'DELETE', path: '/api/0/buckets/:bucket', params: { bucket: awBucketId } },
  {
    method: 'GET',
    path: '/api/0/buckets/:bucket/events',
    params: { bucket: awBucketId },
    query: awRange,
  },
  {
    method: 'POST',
    path: '/api/0/buckets/:bucket/events',
    params: { bucket: awBucketId },
    body: { anyOf: [awEvent, { type: 'array', items: awEvent, maxItems: 4 }] },
  },
  {
    method: 'GET',
    path: '/api/0/buckets/:bucket/events/count',
    params: { bucket: awBucketId },
    query: awRange,
  },
  {
    method: 'GET',
    path: '/api/0/buckets/:bucket/events/:event',
    params: { bucket: awBucketId, event: { type: 'integer', minimum: 0, maximum: 50 } },
  },
  {
    method: 'DELETE',
    path: '/api/0/buckets/:bucket/events/:event',
    params: { bucket: awBucketId, event: { type: 'integer', minimum: 0, maximum: 50 } },
  },
  {
    method: 'POST',
    path: '/api/0/buckets/:bucket/heartbeat',
    params: { bucket: awBucketId },
    query: {
      type: 'object',
      properties: { pulsetime: { type: 'number', minimum: 0, maximum: 600 } },
      required: ['pulsetime'],
    },
    body: awEvent,
  },
  { method: 'GET', path: '/api/0/buckets/:bucket/export', params: { bucket: awBucketId } },
  { method: 'GET', path: '/api/0/export' },
  {
    method: 'POST',
    path: '/api/0/import',
    body: {
      type: 'object',
      required: ['buckets'],
      properties: {
        buckets: {
          type: 'object',
          properties: {
            'fuzz-import': {
              type: 'object',
              properties: {
                ...awBucket.properties,
                id: str(),
                events: { type: 'array', items: awEvent, maxItems: 3 },
              },
            },
          },
        },
      },
    },
  },
  // Its body is made by `requestOf` from the query language's lines.
  { method: 'POST', path: '/api/0/query' },
  { method: 'GET', path: '/api/0/settings' },
  { method: 'GET', path: '/api/0/settings/:key', params: { key: str(200) } },
  { method: 'POST', path: '/api/0/settings/:key', params: { key: str(200) }, body: {} },
  { method: 'DELETE', path: '/api/0/settings/:key', params: { key: str(200) } },
].map((op) => ({ listener: 'activitywatch', ...op }) as Operation)

/** Lines of ActivityWatch's query language, plausible and not. */
const AW_QUERY_LINES = fc.oneof(
  fc.constantFrom(
    'RETURN = query_bucket("aw-watcher-window_host");',
    'events = flood(query_bucket(find_bucket("aw-watcher-window_")));',
    'RETURN = merge_events_by_keys(events, ["app", "title"]);',
    'afk = filter_keyvals(query_bucket("aw-watcher-afk_host"), "status", ["not-afk"]);',
    'RETURN = sort_by_duration(filter_period_intersect(events, afk));',
    'RETURN = {"a": [1, 2, {"b": null}], "c": sum_durations(events)};',
    'RETURN = categorize(events, [[["Work"], {"type": "regex", "regex": "(a+)+$"}]]);',
    'RETURN = limit_events(events, -1);',
    'RETURN = nop(',
    'x = "unterminated',
    'RETURN = query_bucket(RETURN);',
  ),
  fc.integer({ min: 1, max: 6000 }).map((n) => `RETURN = ${'('.repeat(n)}1${')'.repeat(n)};`),
  fc.integer({ min: 1, max: 6000 }).map((n) => `RETURN = ${'['.repeat(n)}${']'.repeat(n)};`),
  text(0, 60),
)

const MCP_TOOLS = [
  'get_capabilities',
  'get_summary',
  'get_timeline',
  'search_activity',
  'get_insights',
  'compare_periods',
  'list_sessions',
  'list_labels',
  'create_label',
  'get_status',
  'nonexistent_tool',
]

/** JSON-RPC messages for `POST /mcp`. */
const mcpBody = fc.oneof(
  fc.record({
    jsonrpc: fc.constantFrom('2.0', '1.0', 2),
    id: fc.oneof(fc.integer(), text(0, 8), fc.constant(null)),
    method: fc.constantFrom(
      'initialize',
      'tools/list',
      'prompts/list',
      'resources/list',
      'ping',
      'bogus',
    ),
    params: fc.option(anyJson, { nil: undefined }),
  }),
  fc.record({
    jsonrpc: fc.constant('2.0'),
    id: fc.integer({ min: 1, max: 1000 }),
    method: fc.constant('tools/call'),
    params: fc.record({
      name: fc.constantFrom(...MCP_TOOLS),
      arguments: fc.dictionary(
        fc.constantFrom('period', 'query', 'start', 'end', 'text', 'limit', 'groupBy', 'a', 'b'),
        fc.oneof(
          fc.constantFrom('today', 'yesterday', 'this week', 'last month', '2025-09-11'),
          oddValue,
        ),
        { maxKeys: 3 },
      ),
    }),
  }),
  fc.record({
    jsonrpc: fc.constant('2.0'),
    id: fc.integer({ min: 1, max: 1000 }),
    method: fc.constantFrom('prompts/get', 'resources/read'),
    params: fc.record({
      name: fc.constantFrom('standup', 'timesheet', 'x'),
      uri: fc.constantFrom(
        'daybook://today',
        'daybook://week',
        'daybook://x',
        'file:///etc/passwd',
      ),
      arguments: fc.dictionary(text(0, 6), oddValue, { maxKeys: 2 }),
    }),
  }),
  fc.array(anyJson, { maxLength: 3 }),
)

/** The requests nobody documents: MCP, the dashboard's files, Skopio's root paths. */
export const OTHERS: Operation[] = [
  {
    listener: 'api',
    method: 'POST',
    path: '/mcp',
    headers: { accept: 'application/json, text/event-stream' },
  },
  { listener: 'api', method: 'GET', path: '/mcp' },
  { listener: 'api', method: 'GET', path: '/' },
  { listener: 'api', method: 'GET', path: '/index.html' },
  { listener: 'api', method: 'GET', path: '/favicon.svg' },
  { listener: 'api', method: 'GET', path: '/assets/:file', params: { file: str(80) } },
  { listener: 'api', method: 'GET', path: '/health' },
]

/** A path parameter as it goes into the URL: mostly encoded, sometimes as it is. */
function pathValue(schema: Schema | undefined): fc.Arbitrary<string> {
  return fc.tuple(valueOf(schema, {}), fc.boolean()).map(([v, encode]) => {
    const text = v instanceof Raw ? v.text : typeof v === 'string' ? v : jsonText(v)
    // A lone surrogate cannot be percent-encoded: it goes as U+FFFD.
    return encode ? encodeURIComponent(text.toWellFormed()) : text.replace(/[\s?#]/g, '')
  })
}

/** A query object as text, with `Raw` and duplicate keys flattened the way qs writes them. */
function queryText(value: unknown): string {
  const plain = (v: unknown): unknown => {
    if (typeof v === 'string') return v.toWellFormed()
    if (v instanceof Raw) return v.text
    if (v instanceof DuplicateKeys)
      return Object.fromEntries(v.entries.map(([k, x]) => [k, plain(x)]))
    if (Array.isArray(v)) return v.map(plain)
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
    }
    return v
  }
  const p = plain(value)
  if (p === undefined) return ''
  if (p === null || typeof p !== 'object') {
    const text = typeof p === 'string' ? p : (JSON.stringify(p) ?? '')
    return `q=${encodeURIComponent(text.toWellFormed())}`
  }
  return qs.stringify(p, { allowDots: false, encodeValuesOnly: false })
}

/** How the body goes: JSON (usually), broken JSON, another content type, nothing. */
const BODY_FORMS = fc.oneof(
  { arbitrary: fc.constant('json' as const), weight: 12 },
  {
    arbitrary: fc.constantFrom(
      'truncated',
      'empty',
      'text/plain',
      'form',
      'bom',
      'garbage',
      'none' as const,
    ),
    weight: 2,
  },
)

const HEADER_NOISE = fc.dictionary(
  fc.constantFrom(
    'origin',
    'host',
    'accept',
    'x-forwarded-for',
    'content-encoding',
    'user-agent',
    'x-machine-name',
    'upgrade',
    'timezone',
  ),
  fc.oneof(
    fc.constantFrom(
      'http://localhost:5610',
      'http://evil.example',
      'chrome-extension://nglaklhklhcoonedhgnpgddginnjdadi',
      'localhost',
      'evil.example',
      '127.0.0.1:5600',
      '[::1]',
      'gzip',
      'websocket',
      'application/json',
      'text/event-stream',
      '*/*',
      'Europe/Berlin',
      'Not/AZone',
      'wakatime/13.0.7 (linux) vscode/1.90',
    ),
    text(0, 30).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
  ),
  { maxKeys: 2 },
)

/** The arbitrary request of an operation. */
export function requestOf(op: Operation, refs: Record<string, Schema>): fc.Arbitrary<FuzzRequest> {
  const names = [...op.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1] ?? '')
  const params = fc.tuple(...names.map((n) => pathValue(op.params?.[n])))
  const query =
    op.query && Object.keys(op.query.properties ?? {}).length > 0
      ? valueOf(op.query, refs)
      : fc.constant(undefined)
  const bodyValue =
    op.path === '/mcp' && op.method === 'POST'
      ? mcpBody
      : op.path === '/api/0/query'
        ? fc.record({
            timeperiods: fc.array(
              fc.constantFrom(
                '2025-09-11T00:00:00Z/2025-09-12T00:00:00Z',
                '2025-09-11/2025-09-12',
                'x',
              ),
              { maxLength: 2 },
            ),
            query: fc.array(AW_QUERY_LINES, { minLength: 1, maxLength: 3 }),
          })
        : op.body
          ? valueOf(op.body, refs)
          : fc.option(oddValue, { nil: undefined, freq: 4 })
  return fc
    .record({
      params,
      query,
      // Extra query parameters: unknown ones, odd values, repeated keys.
      extra: fc.option(
        fc.dictionary(
          fc.constantFrom('x', 'token', 'api_key', 'preset', 'tz', 'limit', '__proto__'),
          oddValue,
          { maxKeys: 2 },
        ),
        { freq: 5, nil: undefined },
      ),
      body: bodyValue,
      form: BODY_FORMS,
      token: fc.constantFrom(...TOKENS, 'admin', 'admin', 'admin'),
      authForm: fc.oneof(
        { arbitrary: fc.constant<AuthForm>('bearer'), weight: 10 },
        {
          arbitrary: fc.constantFrom<AuthForm>('raw', 'basic', 'query', 'lowercase', 'doubled'),
          weight: 2,
        },
      ),
      noise: fc.option(HEADER_NOISE, { freq: 4, nil: undefined }),
      // The Skopio routes are also served at the root.
      unprefixed: fc.boolean(),
    })
    .map((r) => {
      let i = 0
      let path = op.path.replace(/:([A-Za-z_]+)/g, () => r.params[i++] ?? '')
      if (
        r.unprefixed &&
        op.listener === 'api' &&
        /^\/v1\/(events|afk|apps|categories|projects|summary|insights|health|frames|activity)/.test(
          path,
        )
      ) {
        path = path.slice(3)
      }
      const search = [queryText(r.query), r.extra === undefined ? '' : queryText(r.extra)]
        .filter((s) => s !== '')
        .join('&')
      const headers: Record<string, string> = { ...op.headers, ...(r.noise ?? {}) }
      let payload: string | undefined
      if (r.body !== undefined && r.form !== 'none' && op.method !== 'GET') {
        const text = jsonText(r.body)
        payload =
          r.form === 'truncated'
            ? text.slice(0, Math.max(0, text.length - 1))
            : r.form === 'empty'
              ? ''
              : r.form === 'bom'
                ? `\ufeff${text}`
                : r.form === 'garbage'
                  ? `${text}}]garbage`
                  : r.form === 'form'
                    ? queryText(r.body)
                    : text
        headers['content-type'] =
          r.form === 'text/plain'
            ? 'text/plain'
            : r.form === 'form'
              ? 'application/x-www-form-urlencoded'
              : 'application/json'
      }
      return {
        listener: op.listener,
        method: op.method,
        url: search === '' ? path : `${path}?${search}`,
        headers,
        token: r.token,
        authForm: r.authForm,
        payload,
      }
    })
}
