import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AddressInfo } from 'node:net'
import { startApp } from '../helpers.ts'

const NOW = Date.parse('2025-09-11T12:00:00Z')
const INVALID = {
  code: 'invalid_login_code',
  message: 'This sign-in link was already used or has expired; run daybook open again',
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

interface CodeAnswer {
  code: string
  scope: string
  expiresAt: string
  url: string
}
interface SessionAnswer {
  token: string
  tokenId: string
  scope: string
  expiresAt: string
}

test('dashboard sign-in: one-time codes exchanged for stored session tokens', async (t) => {
  const { app, call, setNow } = await startApp(t, { now: NOW })

  const newCode = async (body: unknown = { scope: 'data' }): Promise<CodeAnswer> => {
    const res = await call({ method: 'POST', url: '/v1/session/codes', payload: body as object })
    assert.equal(res.statusCode, 201, res.body)
    assert.equal(res.headers['cache-control'], 'no-store')
    return res.json()
  }
  const exchange = (code: unknown, remoteAddress?: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/session',
      payload: { code },
      ...(remoteAddress === undefined ? {} : { remoteAddress }),
    })

  await t.test('a daemon without a TCP listener has no URL to give: 409', async () => {
    const res = await call({ method: 'POST', url: '/v1/session/codes', payload: {} })
    assert.equal(res.statusCode, 409)
    assert.equal(res.json().code, 'dashboard_needs_tcp')
  })

  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo

  await t.test('only an admin token makes codes', async () => {
    const none = await app.inject({ method: 'POST', url: '/v1/session/codes', payload: {} })
    assert.equal(none.statusCode, 401)
    const session = (await exchange((await newCode()).code)).json<SessionAnswer>()
    const data = await app.inject({
      method: 'POST',
      url: '/v1/session/codes',
      payload: {},
      headers: bearer(session.token),
    })
    assert.equal(data.statusCode, 403, 'a data session cannot promote itself to admin')
  })

  await t.test('code → data token: reads, no admin; listed, then revoked', async () => {
    const issued = await newCode({})
    assert.equal(issued.scope, 'data', 'data is the default')
    assert.match(issued.code, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url')
    assert.equal(issued.url, `http://127.0.0.1:${port}/#code=${issued.code}`)
    assert.equal(issued.expiresAt, '2025-09-11T12:02:00Z')

    const res = await exchange(issued.code)
    assert.equal(res.statusCode, 201, res.body)
    assert.equal(res.headers['cache-control'], 'no-store')
    const session = res.json<SessionAnswer>()
    assert.equal(session.scope, 'data')
    assert.equal(session.expiresAt, '2025-09-12T00:00:00Z', '12 hours')
    assert.match(session.token, /^sk-/)

    const total = await app.inject({ url: '/v1/summary/total', headers: bearer(session.token) })
    assert.equal(total.statusCode, 200, total.body)
    // Labels are part of a data session ("read_only plus labels").
    const labels = await app.inject({
      method: 'POST',
      url: '/v1/labels',
      headers: bearer(session.token),
      payload: { startUtc: NOW / 1000 - 3600, endUtc: NOW / 1000, text: 'review' },
    })
    assert.ok([200, 201].includes(labels.statusCode), labels.body)
    const admin = await app.inject({ url: '/v1/auth/tokens', headers: bearer(session.token) })
    assert.equal(admin.statusCode, 403)

    const listed = (await call({ url: '/v1/auth/tokens' }))
      .json<{ id: string; name: string; acl: string; expires_at: number; revoked: boolean }[]>()
      .find((x) => x.id === session.tokenId)
    assert.deepEqual(listed && [listed.name, listed.acl, listed.expires_at, listed.revoked], [
      'dashboard session',
      'data',
      Date.parse(session.expiresAt) / 1000,
      false,
    ])
    const revoke = await call({
      method: 'POST',
      url: '/v1/auth/tokens/revoke',
      payload: { id: session.tokenId },
    })
    assert.deepEqual(revoke.json(), { ok: true })
    const after = await app.inject({ url: '/v1/summary/total', headers: bearer(session.token) })
    assert.equal(after.statusCode, 401)
  })

  await t.test('an admin code buys an admin token for one hour', async () => {
    const res = await exchange((await newCode({ scope: 'admin' })).code)
    assert.equal(res.statusCode, 201)
    const session = res.json<SessionAnswer>()
    assert.deepEqual([session.scope, session.expiresAt], ['admin', '2025-09-11T13:00:00Z'])
    const tokens = await app.inject({ url: '/v1/auth/tokens', headers: bearer(session.token) })
    assert.equal(tokens.statusCode, 200)
    setNow(NOW + 3_600_000)
    const expired = await app.inject({ url: '/v1/auth/tokens', headers: bearer(session.token) })
    assert.equal(expired.statusCode, 401, 'the session token expires with its hour')
    setNow(NOW)
  })

  await t.test('a code works once: the second use is refused', async () => {
    const { code } = await newCode()
    assert.equal((await exchange(code)).statusCode, 201)
    const again = await exchange(code)
    assert.equal(again.statusCode, 401)
    assert.deepEqual(again.json(), INVALID)
  })

  await t.test('two exchanges racing with one code: one session', async () => {
    const { code } = await newCode()
    const answers = await Promise.all([exchange(code), exchange(code), exchange(code)])
    assert.deepEqual(answers.map((r) => r.statusCode).sort(), [201, 401, 401])
  })

  await t.test('a code expires after 120 s', async () => {
    const first = await newCode()
    const second = await newCode()
    setNow(NOW + 119_999)
    assert.equal((await exchange(first.code)).statusCode, 201, 'still valid just before')
    setNow(NOW + 120_000)
    const late = await exchange(second.code)
    assert.equal(late.statusCode, 401)
    assert.deepEqual(late.json(), INVALID)
    setNow(NOW)
    assert.equal((await exchange(second.code)).statusCode, 401, 'an expired code is gone for good')
  })

  await t.test('unknown codes are refused like used ones', async () => {
    const res = await exchange('A'.repeat(43))
    assert.equal(res.statusCode, 401)
    assert.deepEqual(res.json(), INVALID)
  })

  await t.test('malformed bodies: 400, 415, 422, and no code is spent', async () => {
    const { code } = await newCode()
    const post = (payload: string, contentType = 'application/json') =>
      app.inject({
        method: 'POST',
        url: '/v1/session',
        payload,
        headers: { 'content-type': contentType },
      })
    assert.equal((await post('')).statusCode, 400)
    assert.equal((await post('{"code":')).json().code, 'invalid_json')
    assert.equal((await post(JSON.stringify({ code }), 'text/plain')).statusCode, 415)
    for (const body of [{}, { code: 5 }, { code: '' }, { code, extra: 1 }, [code]]) {
      const res = await post(JSON.stringify(body))
      assert.equal(res.statusCode, 422, JSON.stringify(body))
      assert.equal(res.json().code, 'invalid_body')
    }
    assert.equal((await exchange(code)).statusCode, 201, 'the code survived the bad requests')

    for (const body of [{ scope: 'read_only' }, { scope: 'ingest' }, { other: 1 }]) {
      const res = await call({ method: 'POST', url: '/v1/session/codes', payload: body })
      assert.equal(res.statusCode, 422, JSON.stringify(body))
    }
  })

  await t.test('refused codes count as failed authentications: 429 past the limit', async () => {
    const from = '10.1.2.3'
    for (let i = 0; i < 20; i++) {
      assert.equal((await exchange(`wrong-${i}`, from)).statusCode, 401)
    }
    const limited = await exchange('wrong-again', from)
    assert.equal(limited.statusCode, 429)
    assert.ok(Number(limited.headers['retry-after']) > 0)
    // The same limiter as tokens: a wrong token from that address is refused too.
    const token = await app.inject({
      url: '/v1/summary/total',
      headers: bearer('sk-wrong'),
      remoteAddress: from,
    })
    assert.equal(token.statusCode, 429)
    // Another address is not affected.
    assert.equal((await exchange('wrong', '10.9.9.9')).statusCode, 401)
  })

  await t.test(
    'at the cap on active tokens, the oldest session makes room for a new one',
    async () => {
      type Listed = { id: string; name: string; revoked: boolean; expires_at: number | null }
      const activeSessions = async () =>
        (await call({ url: '/v1/auth/tokens' }))
          .json<Listed[]>()
          .filter((x) => x.name === 'dashboard session' && !x.revoked)
          .map((x) => x.id)
      for (;;) {
        const res = await call({
          method: 'POST',
          url: '/v1/auth/tokens',
          payload: { name: 'filler', acl: 'read_only', expiry: 'never' },
        })
        if (res.statusCode === 409) break
        assert.equal(res.statusCode, 200)
      }
      const before = await activeSessions()
      assert.ok(before.length > 0)
      const res = await exchange((await newCode()).code)
      assert.equal(res.statusCode, 201, res.body)
      const after = await activeSessions()
      // (Listed by creation time; one session was made at a later clock above, hence the sort.)
      assert.deepEqual(after.sort(), [...before.slice(1), res.json<SessionAnswer>().tokenId].sort())
    },
  )

  await t.test('the OpenAPI document lists both routes', async () => {
    const doc = (await call({ url: '/v1/openapi.json' })).json<{
      paths: Record<string, Record<string, { security?: unknown[] }>>
    }>()
    assert.ok(doc.paths['/v1/session/codes']?.post)
    assert.deepEqual(doc.paths['/v1/session']?.post?.security, [])
  })
})
