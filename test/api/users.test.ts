import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { eventInput, startApp } from '../helpers.ts'

test('users: the owner is listed; a server admin adds users; a taken name is 409', async (t) => {
  const { call, dir } = await startApp(t)
  const list = await call({ method: 'GET', url: '/v1/users' })
  assert.equal(list.statusCode, 200, list.body)
  assert.deepEqual(
    list
      .json()
      .map((u: { name: string; admin: boolean; owner: boolean }) => [u.name, u.admin, u.owner]),
    [['owner', true, true]],
  )
  const added = await call({ method: 'POST', url: '/v1/users', payload: { name: 'ann' } })
  assert.equal(added.statusCode, 201, added.body)
  assert.deepEqual(
    { ...added.json<Record<string, unknown>>(), createdAt: undefined },
    {
      name: 'ann',
      admin: false,
      owner: false,
      createdAt: undefined,
    },
  )
  // Their diary is a database of its own under the data dir.
  assert.ok(existsSync(path.join(dir, 'users', 'ann.db')))
  const again = await call({
    method: 'POST',
    url: '/v1/users',
    payload: { name: 'ann', admin: true },
  })
  assert.equal(again.statusCode, 409)
  assert.equal(again.json().code, 'user_exists')
  const bad = await call({ method: 'POST', url: '/v1/users', payload: { name: 'Ann!' } })
  assert.equal(bad.statusCode, 422, bad.body)
  assert.equal(
    (await call({ method: 'GET', url: '/v1/users' })).json().length,
    2,
    'a refused add changes nothing',
  )
})

test("users: a user's token works on their diary only; only a server admin manages users", async (t) => {
  const { app, call } = await startApp(t)
  await call({ method: 'POST', url: '/v1/users', payload: { name: 'ann' } })
  const made = await call({
    method: 'POST',
    url: '/v1/users/ann/tokens',
    payload: { name: 'laptop', acl: 'admin', expiry: 'never' },
  })
  assert.equal(made.statusCode, 200, made.body)
  const ann = { authorization: `Bearer ${made.json().token}` }
  const posted = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: ann,
    payload: [eventInput({ project_name: 'ann_secret' })],
  })
  assert.equal(posted.statusCode, 200, posted.body)
  const theirs = await app.inject({ method: 'GET', url: '/v1/projects', headers: ann })
  assert.ok(theirs.body.includes('ann_secret'), theirs.body)
  const owners = await call({ method: 'GET', url: '/v1/projects' })
  assert.ok(!owners.body.includes('ann_secret'), owners.body)
  // Ann's admin token administers her diary, not the server.
  const refused = await app.inject({ method: 'GET', url: '/v1/users', headers: ann })
  assert.equal(refused.statusCode, 403)
  assert.equal(refused.json().code, 'not_server_admin')
  // Her own tokens are hers: the owner's list does not have it.
  const ownerTokens = await call({ method: 'GET', url: '/v1/auth/tokens' })
  assert.equal(ownerTokens.json().length, 0)
  const annTokens = await app.inject({ method: 'GET', url: '/v1/auth/tokens', headers: ann })
  assert.deepEqual(
    annTokens.json().map((x: { name: string }) => x.name),
    ['laptop'],
  )
  // Removed: her token stops at once.
  const removed = await call({ method: 'DELETE', url: '/v1/users/ann' })
  assert.equal(removed.statusCode, 200, removed.body)
  assert.equal(
    (await app.inject({ method: 'GET', url: '/v1/projects', headers: ann })).statusCode,
    401,
  )
})

test('users: the last server admin and the owner cannot be removed (409, stable codes)', async (t) => {
  const { call } = await startApp(t)
  const last = await call({ method: 'DELETE', url: '/v1/users/owner' })
  assert.equal(last.statusCode, 409)
  assert.equal(last.json().code, 'last_admin')
  assert.equal(
    (await call({ method: 'PATCH', url: '/v1/users/owner', payload: { admin: false } })).json()
      .code,
    'last_admin',
  )
  await call({ method: 'POST', url: '/v1/users', payload: { name: 'bea', admin: true } })
  const owner = await call({ method: 'DELETE', url: '/v1/users/owner' })
  assert.equal(owner.statusCode, 409)
  assert.equal(owner.json().code, 'owner_diary')
  // The owner steps down; bea is now the last admin.
  assert.equal(
    (await call({ method: 'PATCH', url: '/v1/users/owner', payload: { admin: false } })).statusCode,
    200,
  )
  const bea = await call({ method: 'DELETE', url: '/v1/users/bea' })
  assert.equal(bea.statusCode, 403, 'the default token is no server admin any more')
  assert.equal(bea.json().code, 'not_server_admin')
  const unknown = await call({ method: 'DELETE', url: '/v1/users/nobody' })
  assert.equal(unknown.statusCode, 403)
})

test("a user's admin token acts on their diary, never on the server: no commands, backups, model server or default token", async (t) => {
  const { app, call } = await startApp(t)
  await call({ method: 'POST', url: '/v1/users', payload: { name: 'ann' } })
  const made = await call({
    method: 'POST',
    url: '/v1/users/ann/tokens',
    payload: { name: 'laptop', acl: 'admin', expiry: 'never' },
  })
  const headers = { authorization: `Bearer ${made.json<{ token: string }>().token}` }
  const rule = (then: unknown[]) => [
    {
      id: 'code',
      name: 'Coding stretch',
      when: { kind: 'activity', match: { app: ['code'] }, minutes: 50 },
      then,
    },
  ]
  const command = await app.inject({
    method: 'POST',
    url: '/v1/hooks',
    headers,
    payload: rule([{ kind: 'command', argv: ['/bin/true'] }]),
  })
  assert.equal(command.statusCode, 403, command.body)
  assert.equal(command.json().code, 'local_action_not_allowed')
  const stream = await app.inject({
    method: 'POST',
    url: '/v1/hooks',
    headers,
    payload: rule([{ kind: 'stream' }]),
  })
  assert.equal(stream.statusCode, 200, stream.body)
  // The owner's rules may run commands.
  const owners = await call({
    method: 'POST',
    url: '/v1/hooks',
    payload: rule([{ kind: 'command', argv: ['/bin/true'] }]),
  })
  assert.equal(owners.statusCode, 200, owners.body)

  for (const [url, payload] of [
    ['/v1/backups', {}],
    ['/v1/settings/llm-config', { baseUrl: 'http://127.0.0.1:1/v1', model: 'x' }],
  ] as const) {
    const res = await app.inject({ method: 'POST', url, headers, payload })
    assert.equal(res.statusCode, 403, `${url}: ${res.body}`)
    assert.equal(res.json().code, 'owner_only')
  }
  // Nor may a user set the backup schedule (files in a directory of the server), and the refusal
  // changes nothing.
  const schedule = await app.inject({
    method: 'PUT',
    url: '/v1/settings',
    headers,
    payload: { backups: { enabled: true, everyHours: 1, keep: 1, dir: '/tmp' } },
  })
  assert.equal(schedule.statusCode, 403, schedule.body)
  assert.equal(schedule.json().code, 'owner_only')
  const settings = await app.inject({ method: 'GET', url: '/v1/settings', headers })
  assert.equal(settings.json().backups.enabled, false)
  const rotate = await app.inject({
    method: 'POST',
    url: '/v1/auth/default-token/refresh',
    headers,
  })
  assert.equal(rotate.statusCode, 409, rotate.body)
  assert.equal(rotate.json().code, 'default_token_fixed')
})
