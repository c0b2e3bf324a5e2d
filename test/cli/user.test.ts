/**
 * `daybook user` and `daybook token create --user` against a live daemon, as real processes, on
 * SQLite and on PostgreSQL: users added, their tokens made, each user's data theirs alone, the
 * last admin and the owner kept, and the diaries there again after a restart.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eventInput } from '../helpers.ts'
import { type RunningDaemon, request, runCli, startInProcess } from '../daemon.ts'
import { freshDatabase, postgresUnavailable } from '../postgres.ts'

const missing = await postgresUnavailable()
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

async function walkthrough(t: Parameters<typeof startInProcess>[0], d: RunningDaemon) {
  const where = ['--data-dir', d.dataDir, '--config-dir', d.configDir]
  const port = d.discovery.port ?? 0
  const cli = (...args: string[]) => runCli([...args, ...where], { TZ: 'UTC' }, t)

  const added = await cli('user', 'add', 'ann')
  assert.equal(added.code, 0, added.stderr)
  assert.equal(added.stdout, 'Added user ann.\n')
  assert.equal((await cli('user', 'add', 'bob', '--admin')).code, 0)
  const taken = await cli('user', 'add', 'ann')
  assert.equal(taken.code, 1)
  assert.match(taken.stderr, /a user named "ann" exists/)
  const bad = await cli('user', 'add', 'Ann')
  assert.equal(bad.code, 2)

  const listed = await cli('user', 'list', '--json')
  assert.deepEqual(
    JSON.parse(listed.stdout).map((u: { name: string; admin: boolean }) => [u.name, u.admin]),
    [
      ['owner', true],
      ['ann', false],
      ['bob', true],
    ],
  )

  const made = await cli('token', 'create', '--user', 'ann', '--name', 'laptop', '--scope', 'admin')
  assert.equal(made.code, 0, made.stderr)
  assert.match(made.stderr, /^Created token [0-9a-f]{16} "laptop" of user ann: scope admin/)
  const ann = made.stdout.trim()
  const write = await request(
    { port },
    {
      method: 'POST',
      path: '/v1/events',
      headers: bearer(ann),
      body: JSON.stringify([eventInput({ project_name: 'ann_only' })]),
    },
  )
  assert.equal(write.status, 200, write.body)
  const theirs = await request({ port }, { path: '/v1/projects', headers: bearer(ann) })
  assert.match(theirs.body, /ann_only/)
  const owners = await request({ port }, { path: '/v1/projects', headers: bearer(d.token) })
  assert.doesNotMatch(owners.body, /ann_only/)
  // Ann is no server admin: her admin token cannot manage users.
  const refused = await request({ port }, { path: '/v1/users', headers: bearer(ann) })
  assert.equal(refused.status, 403)

  const owner = await cli('user', 'remove', 'owner')
  assert.equal(owner.code, 1)
  assert.match(owner.stderr, /owner/)
  // Bob steps down: the owner is the last server admin, and stays one.
  assert.equal((await cli('user', 'admin', 'bob', '--off')).code, 0)
  const last = await cli('user', 'admin', 'owner', '--off')
  assert.equal(last.code, 1)
  assert.match(last.stderr, /last server admin/)
  return { ann, port, cli }
}

test('daybook user and token create --user on SQLite: each user their own diary', async (t) => {
  const d = await startInProcess(t)
  const { ann, cli } = await walkthrough(t, d)
  const removed = await cli('user', 'remove', 'ann')
  assert.equal(removed.code, 0, removed.stderr)
  const after = await request(
    { port: d.discovery.port ?? 0 },
    { path: '/v1/projects', headers: bearer(ann) },
  )
  assert.equal(after.status, 401, 'her token stops at once')
})

test(
  'daybook user on PostgreSQL: a schema per user; a restart opens them all again',
  { skip: missing },
  async (t) => {
    const url = await freshDatabase(t)
    const args = ['--database', url]
    const first = await startInProcess(t, args)
    const { ann } = await walkthrough(t, first)
    await first.close()
    const again = await startInProcess(t, args, {
      dataDir: first.dataDir,
      configDir: first.configDir,
    })
    const theirs = await request(
      { port: again.discovery.port ?? 0 },
      { path: '/v1/projects', headers: bearer(ann) },
    )
    assert.equal(theirs.status, 200, theirs.body)
    assert.match(theirs.body, /ann_only/)
  },
)
