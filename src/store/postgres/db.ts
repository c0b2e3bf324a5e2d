/**
 * The PostgreSQL connection layer: a bounded pool, write transactions that hold their diary's write
 * lock and draw feed positions, and read snapshots.
 */
import pg from 'pg'
import { StoreTimeoutError, StoreUnavailableError } from '../../domain/errors.ts'
import { WRITE_LOCK } from './schema.ts'

/** Socket errors of a server that is down or cut off. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])

/**
 * Whether `err` says the server cannot be reached or is going away (not that a statement failed):
 * socket errors, SQLSTATE class 08 (connection exceptions), 57P01–57P03 (shutdown, crash,
 * starting up), and `pg`'s own messages for a connection that ended.
 */
export function isUnreachable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown }
  const code = typeof e.code === 'string' ? e.code : ''
  if (NETWORK_CODES.has(code) || code.startsWith('08') || /^57P0[123]$/.test(code)) return true
  const message = typeof e.message === 'string' ? e.message : ''
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
    message,
  )
}

/** Seconds a client is told to wait before retrying while the database is unreachable. */
export const RETRY_AFTER_SEC = 5

/** SQLSTATE `query_canceled`: the statement timeout (or an operator) cancelled the statement. */
const QUERY_CANCELED = '57014'

/**
 * The error a caller gets while the database cannot be reached, or when it cancelled a statement
 * that ran past the statement timeout (the transaction rolled back: nothing changed, and asking
 * again later may well succeed); other errors as they are.
 */
export function unavailable(err: unknown): unknown {
  if (isUnreachable(err)) {
    return new StoreUnavailableError(
      'the database cannot be reached; nothing was changed, try again shortly',
      RETRY_AFTER_SEC,
    )
  }
  if ((err as { code?: unknown }).code === QUERY_CANCELED) {
    return new StoreTimeoutError(
      'the database cancelled this request: it ran past the statement timeout; nothing was changed, try again shortly',
      RETRY_AFTER_SEC,
    )
  }
  return err
}

/** What runs a statement: the pool (one statement, its own snapshot) or a transaction's client. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<R>>
}

/** Rows of a statement. */
export async function all<R extends pg.QueryResultRow>(
  q: Queryable,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  return (await q.query<R>(sql, params)).rows
}

/** The first row of a statement, or undefined. */
export async function one<R extends pg.QueryResultRow>(
  q: Queryable,
  sql: string,
  params: unknown[] = [],
): Promise<R | undefined> {
  return (await q.query<R>(sql, params)).rows[0]
}

/** A counter in `meta` (0 while it has never moved): the directory's or the tokens' version. */
export async function metaVersion(q: Queryable, key: string): Promise<number> {
  return (
    (await one<{ value: number }>(q, 'SELECT value FROM meta WHERE key = $1', [key]))?.value ?? 0
  )
}

/** Moves the counter `key` in `meta` on, in the caller's transaction (see `metaVersion`). */
export async function bumpMetaVersion(c: Queryable, key: string): Promise<void> {
  await c.query(
    `INSERT INTO meta (key, value) VALUES ($1, 1)
     ON CONFLICT (key) DO UPDATE SET value = meta.value + 1`,
    [key],
  )
}

// int8 (bigint) columns hold epoch milliseconds, counts and feed positions: all well inside 2^53,
// so they are read as numbers. Nanosecond columns (ActivityWatch) are read as text and made
// bigint where read.
const INT8 = 20
const builtin = pg.types.getTypeParser.bind(pg.types) as (oid: number, format?: string) => unknown
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary'
      ? (v: string) => Number(v)
      : builtin(oid, format)) as typeof pg.types.getTypeParser,
}

export interface PoolOptions {
  url: string
  /** Most connections this process opens. */
  max: number
  /** Milliseconds a statement may run before the server cancels it (0: no limit). */
  statementTimeoutMs: number
  /** The schema the tables live in. */
  schema: string
}

/** The schema each pool's connections use: the diary whose write lock `write` takes. */
const schemas = new WeakMap<pg.Pool, string>()

/** A bounded pool whose connections use `schema` and the statement timeout. */
export function makePool(o: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: o.url,
    max: o.max,
    types,
    // Set per connection at start-up: every statement of every connection sees the same schema.
    options: `-c search_path=${o.schema} -c statement_timeout=${String(o.statementTimeoutMs)}`,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  })
  schemas.set(pool, o.schema)
  return pool
}

/**
 * Takes, in `c`'s transaction, the write lock of the diary in `schema`, held until it ends.
 *
 * Why per diary: what the lock protects is the change feed of one diary. Its writers draw feed
 * positions from that diary's `meta.seq` at their start and must commit in that order, or a reader
 * of the feed could see a later position before an earlier one commits and skip it for ever; so a
 * diary's writes, from every daemon process on the database, commit one at a time. Two diaries
 * share nothing a write touches (each schema has its own tables, `meta.seq` and feed, and no
 * transaction writes two of them), so no order between their writes exists to keep, and users'
 * writes proceed side by side. The two-key form (`WRITE_LOCK`, a hash of the schema's name) keeps
 * these locks apart from any other; two names with the same hash merely share a lock. The users
 * directory and teams, in the first schema, are written under table locks of their own.
 */
export async function lockDiary(c: Queryable, schema: string): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [WRITE_LOCK, schema])
}

/**
 * Ends a transaction that failed with `err`: rolled back and the connection returned, or, when the
 * connection itself failed, dropped rather than handed to the next caller.
 */
export async function abandon(c: pg.PoolClient, err: unknown): Promise<void> {
  if (isUnreachable(err)) {
    c.release(true)
    return
  }
  await c.query('ROLLBACK').catch(() => undefined)
  c.release()
}

/** What a write transaction gives the code inside it. */
export interface Tx {
  readonly c: pg.PoolClient
  /** The next feed position. */
  nextSeq(): number
  /** Ids of the devices this transaction created (their changes join the write's). */
  readonly createdDevices: number[]
  /** Devices by name, as found or created in this transaction. */
  readonly devices: Map<string, DeviceRef>
}

export interface DeviceRef {
  id: number
  uuid: string
  name: string
}

/**
 * Runs `fn` as one write transaction holding the diary's write lock (`lockDiary`). Writes of every
 * process on the database take it, so a diary's writes commit one at a time in the order of the
 * feed positions they draw (read from and written back to `meta.seq` inside the transaction): a
 * reader that sees a position has already been able to see every earlier one. A rolled-back write
 * uses none.
 */
export async function write<T>(pool: pg.Pool, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const schema = schemas.get(pool)
  if (schema === undefined) throw new Error('write: a pool not made by makePool')
  const c = await pool.connect()
  try {
    await c.query('BEGIN')
    await lockDiary(c, schema)
    const start =
      (await one<{ value: number }>(c, "SELECT value FROM meta WHERE key = 'seq'"))?.value ?? 0
    let seq = start
    const out = await fn({
      c,
      nextSeq: () => ++seq,
      createdDevices: [],
      devices: new Map(),
    })
    if (seq !== start) {
      await c.query(
        `INSERT INTO meta (key, value) VALUES ('seq', $1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [seq],
      )
    }
    await c.query('COMMIT')
    c.release()
    return out
  } catch (err) {
    await abandon(c, err)
    throw err
  }
}

/** Runs `fn` on one consistent snapshot (a read-only repeatable-read transaction). */
export function snapshot<T>(pool: pg.Pool, fn: (c: Queryable) => Promise<T>): Promise<T> {
  return transaction(pool, ['BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'], fn)
}

/**
 * Runs `fn` in a transaction the `begin` statements open (and lock), committed when it resolves;
 * on any failure the connection is abandoned (rolled back and not reused).
 */
export async function transaction<T>(
  pool: pg.Pool,
  begin: readonly string[],
  fn: (c: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const c = await pool.connect()
  try {
    for (const sql of begin) await c.query(sql)
    const out = await fn(c)
    await c.query('COMMIT')
    c.release()
    return out
  } catch (err) {
    await abandon(c, err)
    throw err
  }
}
