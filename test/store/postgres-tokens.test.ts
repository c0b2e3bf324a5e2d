/**
 * Two daemon processes on one PostgreSQL database: a token made, revoked or deleted through one
 * holds on the other from its next request, without a restart (each diary's tokens' version, read
 * before a cached token is trusted) — for the owner's tokens and for a user's.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type RunningDaemon, sendAs, startInProcess } from '../daemon.ts'
import { freshDatabase, postgresUnavailable } from '../postgres.ts'

const missing = await postgresUnavailable()

/** Makes a token through `d` with `admin` (on `path`: the owner's or a user's token route). */
async function make(
  d: RunningDaemon,
  path: string,
  o: { admin?: string; acl?: string; format?: 'wakatime' } = {},
): Promise<{ token: string; id: string }> {
  const res = await sendAs(d, o.admin ?? d.token, 'POST', path, {
    name: 'laptop',
    acl: o.acl ?? 'read_only',
    expiry: 'never',
    ...(o.format === undefined ? {} : { format: o.format }),
  })
  assert.equal(res.status, 200, res.body)
  return JSON.parse(res.body) as { token: string; id: string }
}

test(
  'two daemons on one database: a token made or revoked through one holds on the other at once',
  { skip: missing },
  async (t) => {
    const url = await freshDatabase(t)
    const env = { DAYBOOK_DATABASE_URL: url, DAYBOOK_DB_POOL_SIZE: '4' }
    const [a, b] = await Promise.all([
      startInProcess(t, [], { env }),
      startInProcess(t, [], { env }),
    ])
    const read = async (d: RunningDaemon, token: string) =>
      (await sendAs(d, token, 'GET', '/v1/projects')).status
    const change = async (d: RunningDaemon, admin: string, what: string, id: string) => {
      const res = await sendAs(d, admin, 'POST', `/v1/auth/tokens/${what}`, { id })
      assert.deepEqual([res.status, JSON.parse(res.body)], [200, { ok: true }])
    }

    // The owner's tokens. B loads its cache with the first, then A makes a second: B takes it.
    const first = await make(a, '/v1/auth/tokens')
    assert.equal(await read(b, first.token), 200)
    const second = await make(a, '/v1/auth/tokens')
    assert.equal(await read(b, second.token), 200)
    // Revoked through A: refused by B at its next request (and by A); the other still passes.
    await change(a, a.token, 'revoke', first.id)
    assert.equal(await read(b, first.token), 401)
    assert.equal(await read(a, first.token), 401)
    assert.equal(await read(b, second.token), 200)
    // Deleted through B: refused by A.
    await change(b, b.token, 'delete', second.id)
    assert.equal(await read(a, second.token), 401)

    // A user's tokens, a WakaTime key among them, made and revoked through either daemon.
    assert.equal((await sendAs(a, a.token, 'POST', '/v1/users', { name: 'ann' })).status, 201)
    const annAdmin = await make(a, '/v1/users/ann/tokens', { acl: 'admin' })
    const annKey = await make(a, '/v1/users/ann/tokens', { format: 'wakatime' })
    assert.equal(await read(b, annKey.token), 200)
    const annLaptop = await make(b, '/v1/auth/tokens', { admin: annAdmin.token })
    assert.equal(await read(a, annLaptop.token), 200)
    await change(b, annAdmin.token, 'revoke', annKey.id)
    assert.equal(await read(a, annKey.token), 401)
    assert.equal(await read(b, annKey.token), 401)
    assert.equal(await read(a, annLaptop.token), 200)
    await change(a, annAdmin.token, 'delete', annLaptop.id)
    assert.equal(await read(b, annLaptop.token), 401)
    // Ann's tokens are hers: her admin token manages nothing of the owner's.
    const owners = await sendAs(b, annAdmin.token, 'GET', '/v1/auth/tokens')
    assert.doesNotMatch(owners.body, new RegExp(first.id))
  },
)
