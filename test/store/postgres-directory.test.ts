/**
 * Two daemon processes on one PostgreSQL database: a user added or removed through one is known
 * to the other from its next request on, without a restart (the directory's version, read per
 * request of a user's token). A name removed and added again is a new user there too.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sendAs, startInProcess, userToken } from '../daemon.ts'
import { eventInput } from '../helpers.ts'
import { freshDatabase, postgresUnavailable } from '../postgres.ts'

const missing = await postgresUnavailable()

test(
  'two daemons on one database: a user added or removed on one is known to the other at once',
  { skip: missing },
  async (t) => {
    const url = await freshDatabase(t)
    const env = { DAYBOOK_DATABASE_URL: url, DAYBOOK_DB_POOL_SIZE: '4' }
    const [a, b] = await Promise.all([
      startInProcess(t, [], { env }),
      startInProcess(t, [], { env }),
    ])

    assert.equal((await sendAs(a, a.token, 'POST', '/v1/users', { name: 'ann' })).status, 201)
    const ann = await userToken(a, 'ann')
    // B never restarted: Ann's token works there, on her diary.
    const written = await sendAs(b, ann, 'POST', '/v1/events', [
      eventInput({ project_name: 'annp' }),
    ])
    assert.equal(written.status, 200, written.body)
    const read = await sendAs(a, ann, 'GET', '/v1/projects')
    assert.match(read.body, /annp/)
    // B's server admin manages her too.
    const fromB = await userToken(b, 'ann')
    assert.match((await sendAs(b, fromB, 'GET', '/v1/projects')).body, /annp/)
    const listed = await sendAs(b, b.token, 'GET', '/v1/users')
    assert.deepEqual(
      (JSON.parse(listed.body) as { name: string }[]).map((u) => u.name),
      ['owner', 'ann'],
    )

    // Removed on A: refused on B from the next request on.
    assert.equal((await sendAs(a, a.token, 'DELETE', '/v1/users/ann')).status, 200)
    assert.equal((await sendAs(b, ann, 'GET', '/v1/projects')).status, 401)
    assert.equal((await sendAs(b, fromB, 'GET', '/v1/projects')).status, 401)
    const gone = await sendAs(b, b.token, 'POST', '/v1/users/ann/tokens', {
      name: 'x',
      acl: 'admin',
      expiry: 'never',
    })
    assert.equal(gone.status, 404, gone.body)

    // Added again on B: a new user with an empty diary on both; the old tokens stay refused.
    assert.equal((await sendAs(b, b.token, 'POST', '/v1/users', { name: 'ann' })).status, 201)
    const again = await userToken(a, 'ann')
    const fresh = await sendAs(b, again, 'GET', '/v1/projects')
    assert.equal(fresh.status, 200, fresh.body)
    assert.doesNotMatch(fresh.body, /annp/)
    assert.equal((await sendAs(b, ann, 'GET', '/v1/projects')).status, 401)
  },
)
