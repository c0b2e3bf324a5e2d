import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildApp } from '../../src/api/app.ts'
import { StaticKeyAuthenticator } from '../../src/auth/default-token.ts'
import { startApp } from '../helpers.ts'

const UNAUTHORIZED = { code: 'unauthorized', message: 'missing or invalid bearer token' }

test('health probes need no token', async (t) => {
  const { app } = await startApp(t)
  assert.deepEqual((await app.inject('/health')).json(), { status: 'ok' })
  assert.deepEqual((await app.inject('/healthz')).json(), { ok: true })
  const ready = await app.inject('/readyz')
  assert.equal(ready.statusCode, 200)
  assert.deepEqual(ready.json(), { ok: true, ready: true })
})

test('readyz is 503 until the store is attached, and data routes say not_ready', async (t) => {
  const app = await buildApp({ authenticator: new StaticKeyAuthenticator(() => 'secret') })
  t.after(() => app.close())
  const ready = await app.inject('/readyz')
  assert.equal(ready.statusCode, 503)
  assert.deepEqual(ready.json(), { ok: false, ready: false, reason: 'the daemon is starting' })
  const apps = await app.inject({ url: '/apps', headers: { authorization: 'Bearer secret' } })
  assert.equal(apps.statusCode, 503)
  assert.equal(apps.json().code, 'not_ready')
  assert.equal((await app.inject('/healthz')).statusCode, 200)
})

test('every other route refuses a missing or wrong token with the 401 body', async (t) => {
  const { app, token } = await startApp(t)
  const routes = app.daybook.routes.filter((r) => r.method !== 'HEAD')
  assert.ok(routes.length >= 20)
  for (const [i, { method, url, access, wire }] of routes.entries()) {
    const path = url.replace(':id', '0199881f-4613-7ac3-a5bb-2cd7ff27ff5a')
    if (access === 'public') {
      // The probes, the dashboard's files (no data in them), its sign-in and a hub's pairing
      // (the code is the credential), and the CORS catch-all that only answers preflights.
      if (method === 'OPTIONS') assert.equal(url, '*')
      else
        assert.match(
          url,
          /\/(health|healthz|readyz)$|^\/v1\/(session|sync\/hub\/join)$|^\/(index\.html|favicon\.svg|assets\/\*)?$/,
        )
      continue
    }
    // The frames client sends its key raw, so on its routes a raw key is a key.
    const frames = wire === 'frames'
    if (frames) assert.match(url, /\/frames$/)
    for (const authorization of [
      undefined,
      'Bearer wrong',
      'wrong',
      `Basic ${token}`,
      `Bearer${token}`,
      ...(frames ? [] : [token]),
    ]) {
      const res = await app.inject({
        method: method as 'GET',
        url: path,
        headers: authorization === undefined ? {} : { authorization },
        // One address per route keeps this walk under the failed-authentication limit.
        remoteAddress: `10.0.${Math.floor(i / 250)}.${i % 250}`,
      })
      assert.equal(res.statusCode, 401, `${method} ${url} with ${String(authorization)}`)
      // The OpenAI-compatible routes answer OpenAI's error shape, which its clients read.
      const expected = frames
        ? { error: 'unauthorized' }
        : wire === 'openai'
          ? { error: { ...UNAUTHORIZED, type: 'authentication_error', param: null } }
          : UNAUTHORIZED
      assert.deepEqual(res.json(), expected)
    }
  }
})

test('the bearer scheme is case-insensitive; ?token= is not accepted on ordinary routes', async (t) => {
  const { app, token } = await startApp(t)
  assert.equal(
    (await app.inject({ url: '/apps', headers: { authorization: `bearer ${token}` } })).statusCode,
    200,
  )
  assert.equal((await app.inject({ url: `/apps?token=${token}` })).statusCode, 401)
})
