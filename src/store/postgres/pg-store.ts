/**
 * The PostgreSQL store: the `Store` port over a bounded `pg` pool, for a server several devices
 * (and several daemon processes behind a load balancer) share. Writes are transactions holding their
 * diary's advisory lock (`db.ts`), so its change feed is in commit order whichever process wrote; reads
 * run on the pool, the feed and active time on one snapshot each.
 */
import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import { defaultDeviceName } from '../../config/device.ts'
import { ConflictError, SchemaTooNewError } from '../../domain/errors.ts'
import { bucketRowsJson } from '../../domain/summary.ts'
import type { Store } from '../ports.ts'
import { STORE_AGGREGATES } from '../timed.ts'
import { activityWatchStore } from './activitywatch.ts'
import {
  type PoolOptions,
  abandon,
  bumpMetaVersion,
  lockDiary,
  makePool,
  metaVersion,
  one,
  snapshot,
  transaction,
  unavailable,
  write,
} from './db.ts'
import { heartbeatMachines, insertHeartbeats, listHeartbeats } from './heartbeats.ts'
import { hookStore } from './hooks.ts'
import * as reads from './reads.ts'
import { pgScreenshotStore } from './screenshots.ts'
import { pgSyncStore } from './sync.ts'
import { userStore } from './users.ts'
import { teamStore } from './teams.ts'
import { checkUserName } from '../../domain/users.ts'
import { PG_LATEST, PG_MIGRATIONS, TOKENS_VERSION } from './schema.ts'
import * as writes from './writes.ts'
import { deviceRows, ensureNames, readSettings } from './records.ts'

export interface PostgresStoreOptions extends Partial<Omit<PoolOptions, 'url'>> {
  /** `postgres://user:password@host:port/database?sslmode=…` */
  url: string
}

/** The parts of a PostgreSQL URL messages need (the host may be empty: a socket in `?host=`). */
function urlParts(url: string) {
  const m = /^(postgres(?:ql)?:\/\/)(?:([^@/?#]*)@)?([^/?#]*)(.*)$/.exec(url)
  if (!m) return undefined
  const [, scheme = '', userinfo, hostport = '', rest = ''] = m
  const query = new URLSearchParams(rest.includes('?') ? rest.slice(rest.indexOf('?') + 1) : '')
  const at = hostport.lastIndexOf(':')
  const bracketed = hostport.endsWith(']')
  const host = at > 0 && !bracketed ? hostport.slice(0, at) : hostport
  const port = at > 0 && !bracketed ? hostport.slice(at + 1) : ''
  return { scheme, userinfo, hostport, rest, query, host, port }
}

/** The URL without its password, for messages and logs. */
export function redactedUrl(url: string): string {
  const p = urlParts(url)
  if (!p) return 'postgres://(unparsable URL)'
  const user = p.userinfo === undefined ? '' : `${p.userinfo.split(':')[0] ?? ''}@`
  const query = new URLSearchParams(p.query)
  if (query.has('password')) query.set('password', '***')
  const path = p.rest.split('?')[0] ?? ''
  const q = query.toString()
  return `${p.scheme}${user}${p.hostport}${path}${q === '' ? '' : `?${q}`}`
}

/** Where a URL points: `host:port` (a socket directory for the host when given in `?host=`). */
export function serverOf(url: string): string {
  const p = urlParts(url)
  if (!p) return '(unparsable URL)'
  const host = p.host || p.query.get('host') || 'localhost'
  const port = p.port || p.query.get('port') || '5432'
  return `${host}:${port}`
}

/**
 * A failure to connect as one line naming the server: never the password (PostgreSQL's own
 * messages do not carry it; the URL is not repeated).
 */
export function connectError(url: string, err: unknown): Error {
  const e = err as { code?: string; message?: string }
  const server = serverOf(url)
  const reason =
    e.code === 'ECONNREFUSED' || e.code === 'ENOENT'
      ? 'connection refused (is the server running?)'
      : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
        ? 'unknown host'
        : e.code === '28P01'
          ? 'password authentication failed'
          : e.code === '3D000'
            ? 'no such database'
            : (e.message ?? String(err)).split('\n')[0]
  return new Error(`cannot connect to PostgreSQL at ${server}: ${reason}`)
}

/** A schema name as an SQL identifier: letters, digits and underscores only. */
export function checkSchemaName(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`schema name ${JSON.stringify(name)} must be lower-case letters, digits and _`)
  }
  return name
}

async function schemaVersion(q: pg.Pool | pg.PoolClient): Promise<number> {
  const exists = await one<{ t: string | null }>(q, "SELECT to_regclass('meta')::text AS t")
  if (!exists?.t) return 0
  return (
    (await one<{ value: number }>(q, "SELECT value FROM meta WHERE key = 'schema_version'"))
      ?.value ?? 0
  )
}

/**
 * The aggregates whose failures to reach the database become 503s (screenshots answer without
 * the database here).
 */
const AGGREGATES = STORE_AGGREGATES.filter((a) => a !== 'screenshots')

/**
 * The aggregate with every method's failure to reach the database turned into
 * `StoreUnavailableError`, and a statement cancelled at the statement timeout into
 * `StoreTimeoutError` (both 503 with `Retry-After`): collectors and spokes keep their outboxes and
 * send again, and a write cut off before its commit answered changed nothing — or, cut off during
 * it, is a re-send the store recognises as a duplicate.
 */
function guarded<T extends object>(aggregate: T): T {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(aggregate)) {
    out[key] =
      typeof value === 'function'
        ? (...args: unknown[]) =>
            (value as (...a: unknown[]) => Promise<unknown>)(...args).catch((err: unknown) => {
              throw unavailable(err)
            })
        : value
  }
  return out as T
}

/**
 * Revokes or deletes token `id` (`sql`) and moves the tokens' version on in the same transaction:
 * every daemon on the database reads that version before it trusts its cache of the tokens.
 */
function changeToken(pool: pg.Pool, sql: string, id: string): Promise<boolean> {
  return transaction(pool, ['BEGIN'], async (c) => {
    const changed = ((await c.query(sql, [id])).rowCount ?? 0) > 0
    if (changed) await bumpMetaVersion(c, TOKENS_VERSION)
    return changed
  })
}

export class PostgresStore implements Store {
  readonly location: string
  readonly #pool: pg.Pool
  readonly #schema: string
  readonly #options: PostgresStoreOptions

  readonly events: Store['events']
  readonly afk: Store['afk']
  readonly devices: Store['devices']
  readonly catalog: Store['catalog']
  readonly input: Store['input']
  readonly settings: Store['settings']
  readonly tokens: Store['tokens']
  readonly changes: Store['changes']
  readonly activeTime: Store['activeTime']
  readonly labels: Store['labels']
  readonly status: Store['status']
  readonly search: Store['search']
  readonly activitywatch: Store['activitywatch']
  readonly heartbeats: Store['heartbeats']
  readonly hooks: Store['hooks']
  readonly users: Store['users']
  readonly teams: Store['teams']
  readonly sync: Store['sync']
  readonly screenshots: Store['screenshots'] = pgScreenshotStore()

  private constructor(options: PostgresStoreOptions, pool: pg.Pool, schema: string) {
    this.location = redactedUrl(options.url)
    this.#pool = pool
    this.#schema = schema
    this.#options = options
    const p = pool
    const w = <T>(fn: Parameters<typeof write<T>>[1]) => write(p, fn)
    this.events = {
      insert: (events, receivedMs, o) =>
        w((tx) => writes.insertEvents(tx, events, receivedMs, o?.changes ?? true)),
      delete: (selector) => w((tx) => writes.deleteEvents(tx, selector)),
      list: (q) => reads.listEvents(p, q),
      span: () => reads.span(p),
    }
    this.afk = {
      insert: (periods, receivedMs) => w((tx) => writes.insertAfk(tx, periods, receivedMs)),
      list: (range) => reads.listAfk(p, range),
      delete: (selector) => w((tx) => writes.deleteAfk(tx, selector)),
    }
    this.devices = {
      list: () => deviceRows(p),
      rename: (id, name) => w((tx) => writes.renameDevice(tx, id, name)),
      ensure: (names, nowMs) => w((tx) => writes.ensureDevices(tx, names, nowMs)),
    }
    this.catalog = {
      apps: () => reads.named(p, 'apps'),
      categories: () => reads.named(p, 'categories'),
      projects: (page) => snapshot(p, (c) => reads.projects(c, page)),
      searchProjects: (query, limit) => reads.searchProjects(p, query, limit),
      project: (id) => reads.project(p, id),
    }
    this.input = {
      add: (deltas, receivedMs) => w((tx) => writes.addInput(tx, deltas, receivedMs)),
      buckets: (range) => reads.inputBuckets(p, range),
      rows: (range) => reads.inputRows(p, range),
      merge: (rows, receivedMs) => w((tx) => writes.mergeInput(tx, rows, receivedMs)),
      deleteBefore: async (cutoffMs) =>
        (await p.query('DELETE FROM input_activity WHERE bucket_ms < $1', [cutoffMs])).rowCount ??
        0,
      pruneBatches: async (cutoffMs) =>
        (await p.query('DELETE FROM input_batches WHERE received_ms < $1', [cutoffMs])).rowCount ??
        0,
    }
    this.settings = {
      get: () => reads.settings(p),
      save: (values) => w((tx) => writes.saveSettings(tx, values)),
    }
    this.tokens = {
      insert: (token, maxActive, nowSec) =>
        w((tx) => writes.insertToken(tx, token, maxActive, nowSec)),
      list: () => reads.tokens(p),
      revoke: (id) => changeToken(p, 'UPDATE api_tokens SET revoked = true WHERE id = $1', id),
      delete: (id) => changeToken(p, 'DELETE FROM api_tokens WHERE id = $1', id),
      touch: async (id, lastUsedAt) => {
        await p.query('UPDATE api_tokens SET last_used_at = $1 WHERE id = $2', [lastUsedAt, id])
      },
      version: () => metaVersion(p, TOKENS_VERSION),
    }
    this.changes = {
      after: (after, limit) => snapshot(p, (c) => reads.changesAfter(c, after, limit)),
      last: () => reads.lastSeq(p),
    }
    this.activeTime = {
      query: (q) => snapshot(p, (c) => reads.activeTime(c, q)),
      queryJson: async (q, withMeta) =>
        new TextEncoder().encode(
          bucketRowsJson(await snapshot(p, (c) => reads.activeTime(c, q)), withMeta),
        ),
      // Every answer is resolved from events: there are no rollups to wait for.
      pending: () => Promise.resolve(0),
      settle: () => Promise.resolve(),
      sessions: (range, gapMs) => snapshot(p, (c) => reads.sessions(c, range, gapMs)),
    }
    this.labels = {
      create: (label, nowMs) => w((tx) => writes.createLabel(tx, label, nowMs)),
      update: (id, patch, nowMs) => w((tx) => writes.updateLabel(tx, id, patch, nowMs)),
      delete: (id) => w((tx) => writes.deleteLabel(tx, id)),
      get: (id) => reads.label(p, id),
      list: (q) => reads.labels(p, q),
      search: (query, limit) => reads.searchLabels(p, query, limit),
    }
    this.status = {
      counts: () => reads.counts(p),
      collectors: () => reads.collectors(p),
    }
    this.search = {
      search: (text, range, limit) => snapshot(p, (c) => reads.search(c, text, range, limit)),
    }
    this.activitywatch = activityWatchStore(p)
    this.heartbeats = {
      insert: (heartbeats, receivedMs, o) =>
        w((tx) => insertHeartbeats(tx, heartbeats, receivedMs, o?.changes ?? true)),
      list: (range, limit) => listHeartbeats(p, range, limit),
      machines: () => heartbeatMachines(p),
    }
    this.hooks = hookStore(p)
    this.users = userStore(p)
    this.teams = teamStore(p)
    this.sync = pgSyncStore(p)
    for (const name of AGGREGATES) {
      ;(this as Record<string, unknown>)[name] = guarded(this[name] as object)
    }
  }

  /**
   * Connects (one round trip proves the server answers) and checks the schema: throws
   * `SchemaTooNewError` for a database written by a newer Daybook. Does not migrate.
   */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const schema = checkSchemaName(options.schema ?? 'public')
    const pool = makePool({
      url: options.url,
      max: options.max ?? 10,
      statementTimeoutMs: options.statementTimeoutMs ?? 30_000,
      schema,
    })
    // Idle connections can fail while the server restarts; the pool replaces them.
    pool.on('error', () => undefined)
    let version: number
    try {
      version = await schemaVersion(pool)
    } catch (err) {
      await pool.end()
      throw connectError(options.url, err)
    }
    if (version > PG_LATEST) {
      await pool.end()
      throw new SchemaTooNewError(redactedUrl(options.url), version, PG_LATEST)
    }
    return new PostgresStore(options, pool, schema)
  }

  /** `<schema>_u_<name>`: a user's diary on the same server. */
  #diarySchema(name: string): string {
    return checkSchemaName(`${this.#schema}_u_${checkUserName(name)}`)
  }

  /**
   * A user's diary: the same server and settings, its own schema (created by its `migrate()`),
   * its own pool (which opens connections only while the diary is in use).
   */
  async openDiary(name: string): Promise<PostgresStore> {
    return PostgresStore.open({ ...this.#options, schema: this.#diarySchema(name) })
  }

  async dropDiary(name: string): Promise<void> {
    const schema = this.#diarySchema(name)
    try {
      await this.#pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    } catch (err) {
      throw unavailable(err)
    }
  }

  async schema(): Promise<{ version: number; latest: number }> {
    return { version: await schemaVersion(this.#pool), latest: PG_LATEST }
  }

  /** A server database is backed up with its own tool: refused, naming it. */
  async backup(): Promise<{ version: number; bytes: number }> {
    return this.checkBackup()
  }

  checkBackup(): never {
    throw new ConflictError(
      'backup_use_pg_dump',
      'this daemon keeps its diary in PostgreSQL: back it up with pg_dump --format=custom (see the README)',
    )
  }

  /**
   * Applies pending migrations in one transaction holding the diary's write lock (two daemons
   * starting together migrate once), then makes sure the daemon's own device exists.
   */
  async migrate(): Promise<number[]> {
    const c = await this.#pool.connect()
    try {
      await c.query('BEGIN')
      await lockDiary(c, this.#schema)
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${this.#schema}`)
      const version = await schemaVersion(c)
      if (version > PG_LATEST) {
        throw new SchemaTooNewError(this.location, version, PG_LATEST)
      }
      const applied: number[] = []
      for (const m of PG_MIGRATIONS) {
        if (m.version <= version) continue
        await c.query(m.sql)
        applied.push(m.version)
      }
      if (applied.length > 0) {
        await c.query(
          `INSERT INTO meta (key, value) VALUES ('schema_version', $1)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
          [PG_LATEST],
        )
      }
      if (!(await one(c, 'SELECT 1 FROM devices WHERE own'))) {
        const seq =
          ((await one<{ value: number }>(c, "SELECT value FROM meta WHERE key = 'seq'"))?.value ??
            0) + 1
        await c.query(
          `INSERT INTO devices (uuid, name, own, created_ms, events, seq)
           VALUES ($1, $2, true, $3, 0, $4)`,
          [randomUUID(), defaultDeviceName(), Date.now(), seq],
        )
        await c.query(
          `INSERT INTO meta (key, value) VALUES ('seq', $1)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
          [seq],
        )
      }
      // The categories the rules name exist, so they are listed and time can count under them.
      await ensureNames(
        c,
        'categories',
        (await readSettings(c)).categoryRules.map((r) => r.category),
      )
      await c.query('COMMIT')
      c.release()
      return applied
    } catch (err) {
      await abandon(c, err)
      // A diary opened for a request migrates first: its refusal is the request's 503.
      throw unavailable(err)
    }
  }

  #closed: Promise<void> | undefined

  /**
   * Closes the pool once its queries have finished (every write has committed by then). Closing
   * again is harmless: the daemon's start undoes what it opened, and the app closes its store too.
   */
  close(): Promise<void> {
    this.#closed ??= this.#pool.end()
    return this.#closed
  }
}
