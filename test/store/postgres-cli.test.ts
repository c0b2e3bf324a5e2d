/**
 * `daybook migrate` and `daybook serve` on PostgreSQL, as real processes: the schema created and
 * upgraded, a newer one refused, and a server that cannot be reached or refuses the password
 * named in one line, without the password.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import pg from 'pg'
import { PG_LATEST } from '../../src/store/postgres/schema.ts'
import { runCli } from '../daemon.ts'
import { tempDir } from '../helpers.ts'
import { PASSWORD, freshDatabase, postgresUnavailable } from '../postgres.ts'

const missing = await postgresUnavailable()

/** `daybook serve` in fresh dirs with these extra arguments, run until it exits. */
function serve(t: Parameters<typeof tempDir>[0], args: string[], env: Record<string, string> = {}) {
  const dir = tempDir(t, 'dbk-')
  return runCli(
    [
      'serve',
      '--port',
      '0',
      '--data-dir',
      path.join(dir, 'data'),
      '--config-dir',
      path.join(dir, 'config'),
      ...args,
    ],
    env,
    t,
  )
}

test('daybook migrate creates the schema once and says so', { skip: missing }, async (t) => {
  const url = await freshDatabase(t)
  const status = await runCli(['migrate', '--status'], { DAYBOOK_DATABASE_URL: url }, t)
  assert.equal(status.code, 0, status.stderr)
  assert.match(
    status.stdout,
    new RegExp(`schema version 0 of ${PG_LATEST} \\(${PG_LATEST} pending\\)`),
  )
  const first = await runCli(['migrate', '--database', url], {}, t)
  assert.equal(first.code, 0, first.stderr)
  assert.match(first.stdout, new RegExp(`migrated from version 0 to ${PG_LATEST}`))
  const again = await runCli(['migrate'], { DAYBOOK_DATABASE_URL: url }, t)
  assert.match(again.stdout, new RegExp(`schema version ${PG_LATEST}, up to date`))
  for (const out of [status, first, again]) {
    assert.ok(!`${out.stdout}${out.stderr}`.includes(PASSWORD), 'the password is never printed')
  }
  // In a schema of its own when told.
  const other = await runCli(
    ['migrate'],
    { DAYBOOK_DATABASE_URL: url, DAYBOOK_DB_SCHEMA: 'team_a' },
    t,
  )
  assert.equal(other.code, 0, other.stderr)
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  const tables = await c.query<{ n: string }>(
    "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'team_a' AND table_name = 'events'",
  )
  await c.end()
  assert.equal(tables.rows[0]?.n, '1')
})

test(
  'a schema newer than this build: serve and migrate refuse, changing nothing',
  { skip: missing },
  async (t) => {
    const url = await freshDatabase(t)
    assert.equal((await runCli(['migrate'], { DAYBOOK_DATABASE_URL: url }, t)).code, 0)
    const c = new pg.Client({ connectionString: url })
    await c.connect()
    await c.query("UPDATE meta SET value = $1 WHERE key = 'schema_version'", [PG_LATEST + 1])
    await c.end()
    const served = await serve(t, [], { DAYBOOK_DATABASE_URL: url })
    assert.notEqual(served.code, 0)
    assert.match(served.stderr, new RegExp(`schema version ${PG_LATEST + 1}.*upgrade daybook`))
    const migrated = await runCli(['migrate'], { DAYBOOK_DATABASE_URL: url }, t)
    assert.notEqual(migrated.code, 0)
    assert.match(migrated.stderr, /upgrade daybook/)
    const check = new pg.Client({ connectionString: url })
    await check.connect()
    const version = await check.query<{ value: string }>(
      "SELECT value FROM meta WHERE key = 'schema_version'",
    )
    await check.end()
    assert.equal(Number(version.rows[0]?.value), PG_LATEST + 1)
  },
)

test('a server that cannot be reached: one line naming host and port, exit non-zero', async (t) => {
  // A port nothing listens on: the one a throwaway listener just gave back.
  const net = await import('node:net')
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => resolve(p))
    })
  })
  const out = await serve(t, [
    '--database',
    `postgres://daybook:s3cret-pw@127.0.0.1:${port}/daybook`,
  ])
  assert.notEqual(out.code, 0)
  const lines = out.stderr.trim().split('\n')
  assert.equal(lines.length, 1, out.stderr)
  assert.match(lines[0] as string, new RegExp(`127\\.0\\.0\\.1:${port}`))
  assert.ok(!out.stderr.includes('s3cret-pw'))
})

test('a wrong password: one line, no stack trace, no password', { skip: missing }, async (t) => {
  const url = (await freshDatabase(t)).replace(`:${PASSWORD}@`, ':wrong-Pa55word@')
  for (const out of [
    await serve(t, [], { DAYBOOK_DATABASE_URL: url }),
    await runCli(['migrate', '--database', url], {}, t),
  ]) {
    assert.notEqual(out.code, 0)
    const lines = out.stderr.trim().split('\n')
    assert.equal(lines.length, 1, out.stderr)
    assert.match(lines[0] as string, /password authentication failed/)
    assert.ok(!`${out.stdout}${out.stderr}`.includes('wrong-Pa55word'))
  }
})
