/**
 * The helper that starts daemons (test/daemon.ts): the developer's shell cannot reach them.
 */
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { request, startDaemon } from '../daemon.ts'
import { countRows, eventInput, tempDir } from '../helpers.ts'

test("DAYBOOK_* and ACTIVITY_* variables of the test's own shell do not reach the daemon", async (t) => {
  const elsewhere = path.join(tempDir(t), 'shell.db')
  const shell = {
    DAYBOOK_TOKEN: 'from-the-developers-shell',
    DAYBOOK_LOG_LEVEL: 'not-a-level',
    ACTIVITY_DB_PATH: elsewhere,
    DAYBOOK_SOMETHING_NEW: 'x',
  }
  const saved = Object.fromEntries(Object.keys(shell).map((name) => [name, process.env[name]]))
  Object.assign(process.env, shell)
  t.after(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) Reflect.deleteProperty(process.env, name)
      else process.env[name] = value
    }
  })

  // A bad DAYBOOK_LOG_LEVEL would stop it; it starts, with the token file's token.
  const d = await startDaemon(t)
  assert.notEqual(d.token, shell.DAYBOOK_TOKEN)
  assert.equal(d.token, readFileSync(path.join(d.configDir, 'auth.token'), 'utf8').trim())
  const auth = { authorization: `Bearer ${d.token}` }
  const post = await request(
    { port: d.discovery.port ?? 0 },
    { method: 'POST', path: '/v1/events', headers: auth, body: JSON.stringify([eventInput()]) },
  )
  assert.equal(post.status, 200, post.body)
  // The database is the data dir's own, not ACTIVITY_DB_PATH's.
  assert.equal(existsSync(elsewhere), false)
  assert.equal(countRows(path.join(d.dataDir, 'daybook.db'), 'events'), 1)
  if (existsSync(`/proc/${d.child.pid}/environ`)) {
    const names = readFileSync(`/proc/${d.child.pid}/environ`, 'utf8')
      .split('\0')
      .map((entry) => entry.split('=')[0] ?? '')
    assert.deepEqual(
      names.filter((n) => n.startsWith('DAYBOOK_') || n.startsWith('ACTIVITY_')),
      [],
    )
  }
})

test('a variable a test passes on purpose still reaches the daemon', async (t) => {
  const d = await startDaemon(t, [], { env: { DAYBOOK_TOKEN: 'given-by-the-test' } })
  const ok = await request(
    { port: d.discovery.port ?? 0 },
    { path: '/v1/apps', headers: { authorization: 'Bearer given-by-the-test' } },
  )
  assert.equal(ok.status, 200)
})
