import assert from 'node:assert/strict'
import { chmodSync, existsSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import { test } from 'node:test'
import { buildApp } from '../../src/api/app.ts'
import {
  StaticKeyAuthenticator,
  fixedDefaultToken,
  newSecret,
} from '../../src/auth/default-token.ts'
import { writeFileAtomic } from '../../src/config/files.ts'
import { openStore } from '../../src/store/open.ts'
import { type TestApp, startApp } from '../helpers.ts'

const NOW = Date.parse('2025-09-11T12:00:00Z')
const NOW_SEC = NOW / 1000
const DAY = 86_400

/** Creates a token with the default admin token; returns the created `ApiToken`. */
async function create(
  call: TestApp['call'],
  body: Record<string, unknown> = {},
): Promise<{ id: string; token: string; [k: string]: unknown }> {
  const res = await call({
    method: 'POST',
    url: '/v1/auth/tokens',
    payload: { name: 'collector', acl: 'ingest', expiry: 'never', ...body },
  })
  assert.equal(res.statusCode, 200, res.body)
  return res.json()
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

test('POST /v1/auth/tokens shows the secret once; the list shows previews, never secrets or hashes', async (t) => {
  const { app, call } = await startApp(t, { now: NOW })
  const res = await call({
    method: 'POST',
    url: '/v1/auth/tokens',
    payload: { name: 'my-app', acl: 'data', expiry: 'week' },
  })
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers['cache-control'], 'no-store')
  const created = res.json()
  assert.match(created.id, /^[0-9a-f]{16}$/)
  assert.match(created.token, /^sk-[A-Za-z0-9_-]{43}$/)
  const preview = `${created.token.slice(0, 6)}…${created.token.slice(-4)}`
  assert.deepEqual(created, {
    id: created.id,
    name: 'my-app',
    token: created.token,
    token_hash: '',
    token_salt: '',
    token_preview: preview,
    acl: 'data',
    format: 'daybook',
    created_at: NOW_SEC,
    expires_at: NOW_SEC + 7 * DAY,
    last_used_at: null,
    revoked: false,
  })

  const list = await call({ url: '/v1/auth/tokens' })
  assert.equal(list.statusCode, 200)
  assert.deepEqual(list.json(), [{ ...created, token: preview }])
  assert.ok(
    !list.body.includes(created.token.slice(6, -4)),
    'no part of the secret beyond the preview',
  )

  // The secret works at once, with its scope.
  const events = await app.inject({
    url: '/v1/events?preset=today',
    headers: bearer(created.token),
  })
  assert.equal(events.statusCode, 200)
  const tokens = await app.inject({ url: '/v1/auth/tokens', headers: bearer(created.token) })
  assert.equal(tokens.statusCode, 403)
})

test('expiry: day, week, month, quarter or never; a token is refused from the second it expires', async (t) => {
  const { app, call, setNow } = await startApp(t, { now: NOW })
  const days = { day: 1, week: 7, month: 30, quarter: 90 } as const
  const made: Record<string, string> = {}
  for (const [expiry, n] of Object.entries(days)) {
    const tok = await create(call, { expiry, acl: 'read_only' })
    assert.equal(tok.expires_at, NOW_SEC + n * DAY, expiry)
    made[expiry] = tok.token
  }
  const never = await create(call, { expiry: 'never', acl: 'read_only' })
  assert.equal(never.expires_at, null)

  const status = async (token: string) =>
    (await app.inject({ url: '/v1/apps', headers: bearer(token) })).statusCode
  setNow(NOW + DAY * 1000 - 1000)
  assert.equal(await status(made.day ?? ''), 200, 'one second before the end of its day')
  setNow(NOW + DAY * 1000)
  assert.equal(await status(made.day ?? ''), 401, 'expired at expires_at exactly')
  assert.equal(await status(made.week ?? ''), 200)
  setNow(NOW + 91 * DAY * 1000)
  for (const expiry of Object.keys(days)) assert.equal(await status(made[expiry] ?? ''), 401)
  assert.equal(await status(never.token), 200)
  // Expired tokens stay listed, so the user sees why a collector stopped.
  assert.equal((await call({ url: '/v1/auth/tokens' })).json().length, 5)
})

test('revocation and deletion take effect on the very next request', async (t) => {
  const { app, call } = await startApp(t, { now: NOW })
  const a = await create(call, { acl: 'read_only' })
  const b = await create(call, { acl: 'read_only' })
  const status = async (token: string) =>
    (await app.inject({ url: '/v1/apps', headers: bearer(token) })).statusCode
  assert.equal(await status(a.token), 200)
  assert.equal(await status(b.token), 200)

  const revoke = await call({
    method: 'POST',
    url: '/v1/auth/tokens/revoke',
    payload: { id: a.id },
  })
  assert.deepEqual(revoke.json(), { ok: true })
  assert.equal(await status(a.token), 401)
  const del = await call({ method: 'POST', url: '/v1/auth/tokens/delete', payload: { id: b.id } })
  assert.deepEqual(del.json(), { ok: true })
  assert.equal(await status(b.token), 401)

  const list = (await call({ url: '/v1/auth/tokens' })).json()
  assert.deepEqual(
    list.map((x: { id: string; revoked: boolean }) => [x.id, x.revoked]),
    [[a.id, true]],
  )
  for (const path of ['revoke', 'delete']) {
    const unknown = await call({
      method: 'POST',
      url: `/v1/auth/tokens/${path}`,
      payload: { id: 'feedfacefeedface' },
    })
    assert.deepEqual(unknown.json(), { ok: false })
    const def = await call({
      method: 'POST',
      url: `/v1/auth/tokens/${path}`,
      payload: { id: 'default' },
    })
    assert.equal(def.statusCode, 400)
    assert.equal(def.json().code, 'default_token')
    assert.match(def.json().message, /use POST \/v1\/auth\/default-token\/refresh/)
  }
})

test('tokens survive a restart: a new app on the same database accepts and refuses the same ones', async (t) => {
  const { call, dbFile } = await startApp(t, { now: NOW })
  const kept = await create(call, { acl: 'read_only' })
  const revoked = await create(call, { acl: 'read_only' })
  await call({ method: 'POST', url: '/v1/auth/tokens/revoke', payload: { id: revoked.id } })

  const store = await openStore({ driver: 'sqlite', file: dbFile, readers: 0 })
  const again = await buildApp({
    store,
    authenticator: new StaticKeyAuthenticator(() => 'another-default'),
    clock: () => NOW,
  })
  t.after(() => again.close())
  const status = async (token: string) =>
    (await again.inject({ url: '/v1/apps', headers: bearer(token) })).statusCode
  assert.equal(await status(kept.token), 200)
  assert.equal(await status(revoked.token), 401)
})

test('last_used_at is recorded, and written to the database at most once a minute', async (t) => {
  const { app, call, setNow, dbFile } = await startApp(t, { now: NOW })
  const tok = await create(call, { acl: 'read_only' })
  const stored = () => {
    const db = new DatabaseSync(dbFile, { readOnly: true })
    try {
      return (db.prepare('SELECT last_used_at FROM api_tokens').get() as { last_used_at: number })
        .last_used_at
    } finally {
      db.close()
    }
  }
  const listed = async () => (await call({ url: '/v1/auth/tokens' })).json()[0].last_used_at
  const use = () => app.inject({ url: '/v1/apps', headers: bearer(tok.token) })

  await use()
  assert.equal(stored(), NOW_SEC)
  setNow(NOW + 30_000)
  await use()
  assert.equal(stored(), NOW_SEC, 'not written again within the minute')
  assert.equal(await listed(), NOW_SEC + 30, 'but the list shows the latest use')
  setNow(NOW + 61_000)
  await use()
  assert.equal(stored(), NOW_SEC + 61)
})

test('at most 50 active tokens: the 51st is a 409, and revoking or expiring one makes room', async (t) => {
  const { call, setNow } = await startApp(t, { now: NOW })
  const first = await create(call, { expiry: 'day' })
  for (let i = 1; i < 50; i++) await create(call, { name: `t${i}` })
  const over = await call({
    method: 'POST',
    url: '/v1/auth/tokens',
    payload: { name: 'one too many', acl: 'data', expiry: 'never' },
  })
  assert.equal(over.statusCode, 409)
  assert.equal(over.json().code, 'token_limit')
  assert.match(over.json().message, /maximum active token count reached \(50\)/)
  assert.equal((await call({ url: '/v1/auth/tokens' })).json().length, 50, 'nothing was created')

  setNow(NOW + 86_400_000) // `first` expires
  await create(call, { name: 'room after expiry' })
  const second = (await call({ url: '/v1/auth/tokens' })).json()[1]
  assert.notEqual(second.id, first.id)
  await call({ method: 'POST', url: '/v1/auth/tokens/revoke', payload: { id: second.id } })
  await create(call, { name: 'room after revocation' })
  const again = await call({
    method: 'POST',
    url: '/v1/auth/tokens',
    payload: { name: 'x', acl: 'data', expiry: 'never' },
  })
  assert.equal(again.statusCode, 409)
})

test('bad token requests get a clear error and change nothing', async (t) => {
  const { call } = await startApp(t, { now: NOW })
  const cases: [unknown, number, string, string | undefined][] = [
    [{ acl: 'data', expiry: 'week' }, 422, 'invalid_body', 'body/name'],
    [{ name: '', acl: 'data', expiry: 'week' }, 422, 'invalid_body', 'body/name'],
    [{ name: '   ', acl: 'data', expiry: 'week' }, 422, 'invalid_body', 'body/name'],
    [{ name: 'a\u0007b', acl: 'data', expiry: 'week' }, 422, 'invalid_body', 'body/name'],
    [{ name: 'x'.repeat(101), acl: 'data', expiry: 'week' }, 422, 'invalid_body', 'body/name'],
    [{ name: 'n', acl: 'root', expiry: 'week' }, 422, 'invalid_body', 'body/acl'],
    [{ name: 'n', acl: 'Admin', expiry: 'week' }, 422, 'invalid_body', 'body/acl'],
    [{ name: 'n', acl: 'data', expiry: 'year' }, 422, 'invalid_body', 'body/expiry'],
    [{ name: 'n', acl: 'data' }, 422, 'invalid_body', 'body/expiry'],
    [{ name: 7, acl: 'data', expiry: 'week' }, 422, 'invalid_body', 'body/name'],
    [[], 422, 'invalid_body', 'body'],
  ]
  for (const [payload, status, code, field] of cases) {
    const res = await call({ method: 'POST', url: '/v1/auth/tokens', payload: payload as object })
    assert.equal(res.statusCode, status, JSON.stringify(payload))
    assert.equal(res.json().code, code, JSON.stringify(payload))
    assert.equal(res.json().field, field, JSON.stringify(payload))
    assert.equal(typeof res.json().message, 'string')
  }
  const acl = await call({
    method: 'POST',
    url: '/v1/auth/tokens',
    payload: { name: 'n', acl: 'root', expiry: 'week' },
  })
  assert.equal(acl.json().message, 'body/acl must be one of admin, read_only, data, stream, ingest')

  const raw = async (body: string, type = 'application/json') =>
    call({
      method: 'POST',
      url: '/v1/auth/tokens',
      headers: { 'content-type': type },
      payload: body,
    })
  assert.equal((await raw('{"name":')).json().code, 'invalid_json')
  assert.equal((await raw('name=x', 'application/x-www-form-urlencoded')).statusCode, 415)
  const big = await raw(
    JSON.stringify({ name: 'n', acl: 'data', expiry: 'week', pad: 'x'.repeat(17_000) }),
  )
  assert.equal(big.statusCode, 413)
  assert.equal(big.json().code, 'payload_too_large')
  for (const path of ['revoke', 'delete']) {
    for (const payload of [{}, { id: '' }, { id: 5 }, { id: 'x'.repeat(65) }]) {
      const res = await call({ method: 'POST', url: `/v1/auth/tokens/${path}`, payload })
      assert.equal(res.statusCode, 422, `${path} ${JSON.stringify(payload)}`)
      assert.equal(res.json().field, 'body/id')
    }
  }
  assert.deepEqual((await call({ url: '/v1/auth/tokens' })).json(), [])
})

test('refresh rotates the default token: the file is rewritten 0600, the old secret refused at once', async (t) => {
  const { app, token, tokenFile } = await startApp(t)
  const res = await app.inject({
    method: 'POST',
    url: '/v1/auth/default-token/refresh',
    headers: bearer(token),
  })
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers['cache-control'], 'no-store')
  const body = res.json()
  assert.equal(body.ok, true)
  assert.match(body.token, /^[A-Za-z0-9_-]{43}$/)
  assert.notEqual(body.token, token)
  assert.equal(readFileSync(tokenFile, 'utf8'), `${body.token}\n`)
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600)
  assert.equal((await app.inject({ url: '/v1/apps', headers: bearer(token) })).statusCode, 401)
  assert.equal((await app.inject({ url: '/v1/apps', headers: bearer(body.token) })).statusCode, 200)

  // Only admins may rotate it.
  const made = await app.inject({
    method: 'POST',
    url: '/v1/auth/tokens',
    headers: bearer(body.token),
    payload: { name: 'd', acl: 'data', expiry: 'never' },
  })
  const data = made.json().token
  const denied = await app.inject({
    method: 'POST',
    url: '/v1/auth/default-token/refresh',
    headers: bearer(data),
  })
  assert.equal(denied.statusCode, 403)
  assert.equal(readFileSync(tokenFile, 'utf8'), `${body.token}\n`)
})

test('a default token file replaced by another program takes effect on the next request', async (t) => {
  const { app, token, tokenFile } = await startApp(t)
  assert.equal((await app.inject({ url: '/v1/apps', headers: bearer(token) })).statusCode, 200)
  const replacement = newSecret()
  writeFileAtomic(tokenFile, `${replacement}\n`)
  // mtime resolution may be coarse: make sure the replacement has a different one.
  utimesSync(tokenFile, new Date(), new Date(Date.now() + 5_000))
  assert.equal((await app.inject({ url: '/v1/apps', headers: bearer(token) })).statusCode, 401)
  assert.equal(
    (await app.inject({ url: '/v1/apps', headers: bearer(replacement) })).statusCode,
    200,
  )
  // A token file that disappears keeps the last secret instead of locking everyone out.
  rmSync(tokenFile)
  assert.equal(
    (await app.inject({ url: '/v1/apps', headers: bearer(replacement) })).statusCode,
    200,
  )
})

test('a replaced token file that is too short or readable by others is not taken up', async (t) => {
  const { app, token, tokenFile } = await startApp(t)
  const status = async (secret: string) =>
    (await app.inject({ url: '/v1/apps', headers: bearer(secret) })).statusCode
  let bump = 5_000
  const replace = (content: string, mode = 0o600) => {
    writeFileAtomic(tokenFile, `${content}\n`)
    chmodSync(tokenFile, mode)
    utimesSync(tokenFile, new Date(), new Date(Date.now() + (bump += 5_000)))
  }
  replace('abc')
  assert.equal(await status('abc'), 401)
  assert.equal(await status(token), 200, 'the last good secret is kept')
  const exposed = newSecret()
  replace(exposed, 0o644)
  assert.equal(await status(exposed), 401)
  assert.equal(await status(token), 200)
  // Fixed, the same secret is taken up on the next request.
  chmodSync(tokenFile, 0o600)
  utimesSync(tokenFile, new Date(), new Date(Date.now() + (bump += 5_000)))
  assert.equal(await status(exposed), 200)
  assert.equal(await status(token), 401)
})

test('refresh needs no body, even with a JSON content type', async (t) => {
  const { app, token } = await startApp(t)
  const res = await app.inject({
    method: 'POST',
    url: '/v1/auth/default-token/refresh',
    headers: { ...bearer(token), 'content-type': 'application/json' },
  })
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(res.json().ok, true)
})

test('refresh of a default token fixed by DAYBOOK_TOKEN is a 409 and writes nothing', async (t) => {
  const { dir, dbFile } = await startApp(t)
  const fixed = fixedDefaultToken('from-the-environment')
  const app = await buildApp({
    store: await openStore({ driver: 'sqlite', file: dbFile, readers: 0 }),
    authenticator: new StaticKeyAuthenticator(() => fixed.current()),
    defaultToken: fixed,
  })
  t.after(() => app.close())
  const res = await app.inject({
    method: 'POST',
    url: '/v1/auth/default-token/refresh',
    headers: bearer('from-the-environment'),
  })
  assert.equal(res.statusCode, 409)
  assert.deepEqual(res.json(), {
    code: 'default_token_fixed',
    message: 'the default token comes from DAYBOOK_TOKEN; change it there and restart the daemon',
  })
  assert.equal(existsSync(`${dir}/config/auth.token.new`), false)
  assert.equal(
    (await app.inject({ url: '/v1/apps', headers: bearer('from-the-environment') })).statusCode,
    200,
  )
})

test('secrets never reach the database file or its WAL, only salted hashes', async (t) => {
  const { app, call, dbFile, token } = await startApp(t, { now: NOW })
  const secrets: string[] = []
  for (const acl of ['admin', 'read_only', 'data', 'stream', 'ingest']) {
    const tok = await create(call, { acl, name: `for ${acl}` })
    secrets.push(tok.token)
    await app.inject({ url: '/v1/version', headers: bearer(tok.token) })
  }
  await call({
    method: 'POST',
    url: '/v1/auth/tokens/revoke',
    payload: { id: (await create(call)).id },
  })
  const bytes = () =>
    Buffer.concat(
      [dbFile, `${dbFile}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)),
    )
  const check = (where: string) => {
    const all = bytes()
    for (const secret of [...secrets, token]) {
      // The whole secret, and the part of it the preview does not show.
      assert.equal(all.includes(secret), false, `${where}: a secret`)
      assert.equal(all.includes(secret.slice(6, -4)), false, `${where}: a secret's middle`)
    }
    // The hashes are there: proof that this is looking at the right bytes.
    const db = new DatabaseSync(dbFile, { readOnly: true })
    const hashes = db.prepare('SELECT token_hash FROM api_tokens').all() as { token_hash: string }[]
    db.close()
    assert.equal(hashes.length, 6)
    for (const h of hashes) assert.match(h.token_hash, /^[0-9a-f]{64}$/)
  }
  check('while open')
  await app.close()
  check('after close')
})

test('the API document lists the token routes, admin-only, with the ApiToken schema', async (t) => {
  const { call } = await startApp(t)
  const doc = (await call({ url: '/v1/openapi.json' })).json()
  const routes = [
    ['get', '/v1/auth/tokens'],
    ['post', '/v1/auth/tokens'],
    ['post', '/v1/auth/tokens/revoke'],
    ['post', '/v1/auth/tokens/delete'],
    ['post', '/v1/auth/default-token/refresh'],
  ] as const
  for (const [method, path] of routes) {
    const op = doc.paths[path]?.[method]
    assert.ok(op, `${method} ${path}`)
    assert.deepEqual(op.security, [{ bearer: [] }])
    assert.match(op.description, /scope `admin`/)
  }
  assert.deepEqual(Object.keys(doc.components.schemas.ApiToken.properties), [
    'id',
    'name',
    'token',
    'token_hash',
    'token_salt',
    'token_preview',
    'acl',
    'format',
    'created_at',
    'expires_at',
    'last_used_at',
    'revoked',
  ])
  assert.equal(
    doc.paths['/v1/auth/tokens'].post.responses['200'].content['application/json'].schema.$ref,
    '#/components/schemas/ApiToken',
  )
})
