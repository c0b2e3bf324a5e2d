/**
 * A throwaway PostgreSQL server for tests: `initdb` and `pg_ctl` on a temp dir, listening only on
 * a Unix socket in that dir (a random port number names the socket), the one superuser `daybook`
 * with a password (`PASSWORD`). `npm test` starts one for the whole run and names it to its test
 * processes (`SHARED_SERVER`); a test file run alone starts its own, on first use. Each test gets
 * its own database (`freshDatabase`), or a schema of its own in its process's database
 * (`freshSchema`). A server is stopped and removed when the process that started it exits.
 *
 * Without the binaries a developer's machine skips these tests with the reason printed
 * (`postgresUnavailable`); CI sets `DAYBOOK_REQUIRE_POSTGRES=1` (`.ci/run`), which turns a missing
 * server into a failure.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import pg from 'pg'

export interface PostgresServer {
  /** The socket directory (the host of a Unix-socket URL). */
  socketDir: string
  port: number
  /** A URL of database `name` on this server. */
  url(name: string): string
  /** Stops the server (fast shutdown), as an outage; `resume` starts it again on the same port. */
  pause(): void
  resume(): void
  stop(): void
}

/** Where the server binaries are: on PATH, or Debian's versioned directory. */
function findBin(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl'))) {
      return dir
    }
  }
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] === undefined ? undefined : path.join(root, versions[0], 'bin')
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })
}

/** The superuser's password on the throwaway server. */
export const PASSWORD = 'daybook-test-pw'

let started: Promise<PostgresServer | string> | undefined

/** A URL of database `name` on the server listening in `socketDir` on `port`. */
function databaseUrl(socketDir: string, port: number, name: string): string {
  return `postgresql://daybook:${PASSWORD}@/${name}?host=${encodeURIComponent(socketDir)}&port=${String(port)}`
}

/**
 * The variable naming the run's shared server to its test processes (`sharing`). Not a `DAYBOOK_`
 * name: the daemons the tests start must not see it.
 */
export const SHARED_SERVER = 'TEST_POSTGRES_SERVER'

/** `SHARED_SERVER`'s value for `server`, or for the reason there is none. */
export function sharing(server: PostgresServer | string): string {
  return JSON.stringify(
    typeof server === 'string'
      ? { reason: server }
      : { socketDir: server.socketDir, port: server.port },
  )
}

/**
 * Starts a throwaway server (stopped and removed when the process exits); a string says why it
 * cannot. `durable`: fsync, synchronous_commit and full-page writes on, as a real server runs (the
 * benchmark's); off for tests, where durability is not what is tested.
 */
export async function startPostgres(
  o: { durable?: boolean; maxConnections?: number } = {},
): Promise<PostgresServer | string> {
  const bin = findBin()
  if (!bin) return 'PostgreSQL server binaries (initdb, pg_ctl) not found'
  // initdb refuses to run as root: then the cluster belongs to the `postgres` user.
  const asRoot = process.getuid?.() === 0
  let runAs: string[] = []
  if (asRoot) {
    const user = spawnSync('id', ['-u', 'postgres'])
    if (user.status !== 0) return 'running as root and there is no postgres user to run initdb as'
    runAs = ['runuser', '-u', 'postgres', '--']
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'daybook-pg-'))
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    chownSync(dir, uid, gid)
  }
  const run = (cmd: string, args: string[]) => {
    const [exe, ...rest] = [...runAs, path.join(bin, cmd), ...args]
    const r = spawnSync(exe as string, rest, { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`)
  }
  const data = path.join(dir, 'data')
  const port = await freePort()
  // A password, checked (SCRAM), so a test can show what a wrong one does.
  const pwfile = path.join(dir, 'pw')
  writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o644 })
  run('initdb', [
    '-D',
    data,
    '-U',
    'daybook',
    '--auth=scram-sha-256',
    `--pwfile=${pwfile}`,
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
  ])
  // No TCP at all (listen_addresses empty): the socket in the temp dir is the only way in.
  // Durability is not what the tests test: fsync off keeps them fast on a shared machine.
  const durability = o.durable
    ? '-c fsync=on -c synchronous_commit=on -c full_page_writes=on'
    : '-c fsync=off -c synchronous_commit=off -c full_page_writes=off'
  const startServer = () =>
    run('pg_ctl', [
      '-D',
      data,
      '-l',
      path.join(dir, 'pg.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${port} -c listen_addresses= -k ${dir} ${durability} -c max_connections=${String(o.maxConnections ?? 200)}`,
      'start',
    ])
  startServer()
  let stopped = false
  const server: PostgresServer = {
    socketDir: dir,
    port,
    url: (name) => databaseUrl(dir, port, name),
    pause: () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
    resume: startServer,
    stop() {
      if (stopped) return
      stopped = true
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
  process.once('exit', () => server.stop())
  return server
}

/** The shared server, started on first call; a string says why there is none. */
export function postgresServer(): Promise<PostgresServer | string> {
  started ??=
    sharedServer() ??
    startPostgres().catch((err: unknown) => (err instanceof Error ? err.message : String(err)))
  return started
}

/**
 * The run's server (`SHARED_SERVER`), as this process sees it: other processes use it too, so it
 * cannot be paused or stopped from here (a test of an outage starts its own).
 */
function sharedServer(): Promise<PostgresServer | string> | undefined {
  const named = process.env[SHARED_SERVER]
  if (named === undefined) return undefined
  const shared = JSON.parse(named) as { reason: string } | { socketDir: string; port: number }
  if ('reason' in shared) return Promise.resolve(shared.reason)
  const { socketDir, port } = shared
  const refuse = () => {
    throw new Error(`the run's shared PostgreSQL server cannot be paused or stopped by a test`)
  }
  return Promise.resolve({
    socketDir,
    port,
    url: (name: string) => databaseUrl(socketDir, port, name),
    pause: refuse,
    resume: refuse,
    stop: () => undefined,
  })
}

let databases = 0

/**
 * Why PostgreSQL tests cannot run here, or undefined when they can. Where
 * `DAYBOOK_REQUIRE_POSTGRES=1` (CI), a missing server throws instead: CI must not pass by skipping.
 */
export async function postgresUnavailable(): Promise<string | undefined> {
  const server = await postgresServer()
  if (typeof server !== 'string') return undefined
  if (process.env.DAYBOOK_REQUIRE_POSTGRES === '1') {
    throw new Error(`PostgreSQL is required here (DAYBOOK_REQUIRE_POSTGRES=1): ${server}`)
  }
  return `no PostgreSQL server: ${server}`
}

/** Runs `fn` on a connection of its own to `url`, closed after. */
async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    return await fn(c)
  } finally {
    await c.end()
  }
}

/** A new empty database on the shared server (or `on`), dropped when the test ends. */
export async function freshDatabase(t: TestContext, on?: PostgresServer): Promise<string> {
  const server = on ?? (await postgresServer())
  if (typeof server === 'string') throw new Error(`no PostgreSQL server: ${server}`)
  const name = `daybook_${String(process.pid)}_${String(++databases)}`
  await withClient(server.url('postgres'), (c) => c.query(`CREATE DATABASE ${name}`))
  t.after(() =>
    withClient(server.url('postgres'), (c) =>
      c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    ),
  )
  return server.url(name)
}

let schemaDatabase: Promise<string> | undefined
let schemas = 0

/**
 * A schema of its own for a store, in one database this process shares among its tests (created on
 * first use, left to the throwaway server): the store creates the schema when it migrates;
 * `drop()` removes it with its users' diaries (`<schema>_u_<name>`) once the store is closed. For
 * stores only: a database costs the server a copy of its template to create and a checkpoint to
 * drop, about a quarter of a second of its CPU each, which the conformance suite paid per test.
 */
export async function freshSchema(): Promise<{
  url: string
  schema: string
  drop: () => Promise<void>
}> {
  const server = await postgresServer()
  if (typeof server === 'string') throw new Error(`no PostgreSQL server: ${server}`)
  const name = `daybook_${String(process.pid)}_schemas`
  schemaDatabase ??= withClient(server.url('postgres'), (c) =>
    c.query(`CREATE DATABASE ${name}`),
  ).then(() => server.url(name))
  const url = await schemaDatabase
  const schema = `t${String(++schemas)}`
  const drop = () =>
    withClient(url, async (c) => {
      const { rows } = await c.query<{ name: string }>(
        `SELECT nspname AS name FROM pg_namespace WHERE nspname = $1 OR nspname LIKE $1 || '\\_u\\_%'`,
        [schema],
      )
      for (const { name: found } of rows) await c.query(`DROP SCHEMA ${found} CASCADE`)
    })
  return { url, schema, drop }
}
