import assert from 'node:assert/strict'
import net from 'node:net'
import { describe, test } from 'node:test'
import { HTTP_TIMEOUTS } from '../../src/api/app.ts'
import { normaliseOrigin } from '../../src/api/plugins/cors.ts'
import { hostHeaderName, normaliseHostName } from '../../src/api/plugins/host-check.ts'
import { request } from '../daemon.ts'
import { type TestApp, startApp } from '../helpers.ts'

const NOW = Date.parse('2025-09-11T12:00:00Z')
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

async function scoped(call: TestApp['call'], acl: string): Promise<string> {
  const res = await call({
    method: 'POST',
    url: '/v1/auth/tokens',
    payload: { name: acl, acl, expiry: 'never' },
  })
  return res.json().token
}

/** Listens on a free loopback port; returns it. */
async function listen(app: TestApp['app']): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return (app.server.address() as net.AddressInfo).port
}

/**
 * Sends a request line exactly as written (no client-side path normalisation, unlike fetch or
 * `inject`); resolves to the status code.
 */
function rawStatus(port: number, method: string, path: string, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        `${method} ${path} HTTP/1.1\r\nHost: localhost:${port}\r\n` +
          (token === undefined ? '' : `Authorization: Bearer ${token}\r\n`) +
          'Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
      )
    })
    let head = ''
    socket.on('data', (chunk: Buffer) => (head += chunk.toString('latin1')))
    socket.on('end', () => resolve(Number(head.slice(9, 12))))
    socket.on('error', reject)
  })
}

describe('Host header check (DNS rebinding)', () => {
  test('loopback names with any port pass; anything else is 421 before authentication', async (t) => {
    const { app, token } = await startApp(t)
    for (const host of [
      'localhost',
      'localhost:5610',
      'LOCALHOST:1',
      '127.0.0.1',
      '127.0.0.1:80',
      '[::1]',
      '[::1]:5610',
    ]) {
      const res = await app.inject({ url: '/v1/apps', headers: { host, ...bearer(token) } })
      assert.equal(res.statusCode, 200, host)
    }
    for (const host of [
      'evil.example',
      'evil.example:5610',
      'localhost.evil.example',
      '127.0.0.1.nip.io',
      'localhost.',
      '127.0.0.2',
      '[::2]',
      'localhost:port',
      'localhost:5610:1',
      'user@localhost',
    ]) {
      for (const headers of [{ host, ...bearer(token) }, { host }]) {
        const res = await app.inject({ url: '/v1/apps', headers })
        assert.equal(res.statusCode, 421, JSON.stringify(host))
        assert.equal(res.json().code, 'misdirected_request')
        assert.match(res.json().message, /localhost, 127\.0\.0\.1, \[::1\].*--allow-host/)
      }
      // Public probes too: a rebound page learns nothing at all.
      assert.equal((await app.inject({ url: '/healthz', headers: { host } })).statusCode, 421)
    }
  })

  test('a request without a Host header (HTTP/1.0) is 421', async (t) => {
    const { app } = await startApp(t)
    const port = await listen(app)
    const status = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () =>
        socket.write('GET /healthz HTTP/1.0\r\n\r\n'),
      )
      let head = ''
      socket.on('data', (chunk: Buffer) => (head += chunk.toString('latin1')))
      socket.on('end', () => resolve(head.slice(9, 12)))
      socket.on('error', reject)
    })
    assert.equal(status, '421')
  })

  test('names the user allows pass; the check can be off for a non-loopback bind', async (t) => {
    const { app, token } = await startApp(t, {
      hostCheck: { allow: ['daybook.test', '[fd00::1]'] },
    })
    for (const host of ['daybook.test', 'Daybook.Test:8080', '[fd00::1]:5610', 'localhost']) {
      const res = await app.inject({ url: '/v1/apps', headers: { host, ...bearer(token) } })
      assert.equal(res.statusCode, 200, host)
    }
    assert.equal(
      (await app.inject({ url: '/v1/apps', headers: { host: 'other.test', ...bearer(token) } }))
        .statusCode,
      421,
    )
    const open = await startApp(t, { hostCheck: false })
    const res = await open.app.inject({
      url: '/v1/apps',
      headers: { host: 'evil.example', ...bearer(open.token) },
    })
    assert.equal(res.statusCode, 200)
  })

  test('host names and Host headers are parsed strictly', () => {
    assert.equal(normaliseHostName('Daybook.Local'), 'daybook.local')
    assert.equal(normaliseHostName('::1'), '[::1]')
    assert.equal(normaliseHostName('[fd00::1]'), '[fd00::1]')
    for (const bad of ['', 'a b', 'host:80', 'http://x', '-x', '*', 'x/y']) {
      assert.equal(normaliseHostName(bad), undefined, bad)
    }
    assert.equal(hostHeaderName('LocalHost:5610'), 'localhost')
    assert.equal(hostHeaderName('[::1]:1'), '[::1]')
    assert.equal(hostHeaderName(undefined), undefined)
    assert.equal(hostHeaderName('a:b:c'), undefined)
  })
})

describe('CORS', () => {
  test('a configured origin gets a preflight answer without a token, and CORS headers on replies', async (t) => {
    const origin = 'http://localhost:3000'
    const { app, token } = await startApp(t, { corsOrigins: [origin] })
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/v1/auth/tokens',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    })
    assert.equal(preflight.statusCode, 204)
    assert.equal(preflight.headers['access-control-allow-origin'], origin)
    assert.match(String(preflight.headers['access-control-allow-methods']), /POST/)
    assert.equal(preflight.headers['access-control-allow-headers'], 'authorization, content-type')
    assert.equal(preflight.headers['access-control-allow-credentials'], undefined)

    const get = await app.inject({ url: '/v1/apps', headers: { origin, ...bearer(token) } })
    assert.equal(get.statusCode, 200)
    assert.equal(get.headers['access-control-allow-origin'], origin)
    assert.match(String(get.headers.vary), /origin/i)
    // CORS does not replace authentication.
    const anonymous = await app.inject({ url: '/v1/apps', headers: { origin } })
    assert.equal(anonymous.statusCode, 401)
  })

  test('an unknown origin gets no CORS headers at all, and there is no wildcard', async (t) => {
    const { app, token } = await startApp(t, { corsOrigins: ['http://localhost:3000'] })
    for (const origin of [
      'http://evil.example',
      'http://localhost:3001',
      'https://localhost:3000',
      'null',
      'moz-extension://6a5e8f36-0d3a-4a9e-9a0b-4b1a6a0f7a11',
    ]) {
      const preflight = await app.inject({
        method: 'OPTIONS',
        url: '/v1/apps',
        headers: { origin, 'access-control-request-method': 'GET' },
      })
      assert.equal(preflight.statusCode, 404, origin)
      assert.equal(preflight.json().code, 'not_found')
      const get = await app.inject({ url: '/v1/apps', headers: { origin, ...bearer(token) } })
      assert.equal(get.statusCode, 200)
      for (const res of [preflight, get]) {
        const cors = Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))
        assert.deepEqual(cors, [], origin)
      }
    }
  })

  test("the daemon's own origins are allowed at the port it listens on", async (t) => {
    const { app, token } = await startApp(t)
    const port = await listen(app)
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      const res = await request(
        { port },
        { path: '/v1/apps', headers: { origin, ...bearer(token) } },
      )
      assert.equal(res.headers['access-control-allow-origin'], origin)
    }
    const other = await request(
      { port },
      { path: '/v1/apps', headers: { origin: `http://127.0.0.1:${port + 1}`, ...bearer(token) } },
    )
    assert.equal(other.headers['access-control-allow-origin'], undefined)
  })

  test('origins are normalised as configured; wildcards and paths are refused', () => {
    assert.equal(normaliseOrigin('http://LocalHost:3000/'), 'http://localhost:3000')
    assert.equal(normaliseOrigin('https://example.com:443'), 'https://example.com')
    assert.equal(normaliseOrigin('chrome-extension://abcdef'), 'chrome-extension://abcdef')
    for (const bad of ['*', 'http://*', 'localhost:3000', 'http://x/path', 'http://u@x', '']) {
      assert.equal(normaliseOrigin(bad), undefined, bad)
    }
  })
})

describe('path tricks', () => {
  const TRICKS = [
    '/v1/auth/tokens',
    '//v1/auth/tokens',
    '/v1//auth//tokens',
    '/%761/auth/tokens',
    '/v1/auth/%74okens',
    '/v1/../v1/auth/tokens',
    '/v1/./auth/tokens',
    '/./v1/auth/tokens',
    '/v1/apps/../auth/tokens',
    '/health/../v1/auth/tokens',
    '/%2e%2e/v1/auth/tokens',
    '/v1/auth/tokens/',
    '/v1/auth/tokens//',
    '/v1/auth/tokens/.',
    '/v1/auth/tokens/..',
    '/V1/auth/tokens',
    '/v1/AUTH/tokens',
    '/v1/auth/tokens%2F',
    '/v1/auth%2Ftokens',
    '/v1%2fauth/tokens',
    '/%2F/v1/auth/tokens',
    '/v1/auth/tokens%00',
    '/v1/auth/tokens%20',
    '/v1/auth/tokens;x',
    '/v1/auth/tokens%3F',
    '/v1/auth/tokens?x=1',
    '/v1\\auth\\tokens',
    'http://localhost/v1/auth/tokens',
  ]

  test('no spelling of an admin path reaches it without a token or with a lesser one', async (t) => {
    const { app, call, token } = await startApp(t)
    const readOnly = await scoped(call, 'read_only')
    const port = await listen(app)
    let reached = 0
    for (const path of TRICKS) {
      for (const method of ['GET', 'POST']) {
        const anonymous = await rawStatus(port, method, path)
        assert.equal(anonymous, 401, `${method} ${path} without a token`)
        const lesser = await rawStatus(port, method, path, readOnly)
        assert.ok([403, 404].includes(lesser), `${method} ${path} with read_only: ${lesser}`)
        const admin = await rawStatus(port, method, path, token)
        // Either the router matched the admin route (and read_only got its 403), or nothing.
        if (lesser === 403) assert.ok([200, 422].includes(admin), `${method} ${path}: ${admin}`)
        else assert.equal(admin, 404, `${method} ${path}`)
        if (lesser === 403) reached++
      }
    }
    assert.ok(reached >= 10, 'the spellings the router does normalise reach the route')
    // Nothing was created along the way by anyone but the admin's `{}` bodies (all invalid).
    assert.equal((await call({ url: '/v1/auth/tokens' })).json().length, 1)
  })
})

test('two Host headers, or a target naming another host than Host, are a 400', async (t) => {
  const { app } = await startApp(t, { hostCheck: false })
  const port = await listen(app)
  const raw = (head: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () =>
        socket.write(`${head}Connection: close\r\n\r\n`),
      )
      let text = ''
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')))
      socket.on('end', () => resolve(text))
      socket.on('error', reject)
    })
  const twice = await raw('GET /v1/version HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n')
  assert.match(twice, /^HTTP\/1\.1 400/)
  assert.match(twice, /"code":"invalid_host"/)
  const other = await raw('GET http://evil.example/v1/version HTTP/1.1\r\nHost: localhost\r\n')
  assert.match(other, /^HTTP\/1\.1 400/)
  assert.match(other, /another host than the Host header/)
  // The same host in both places is an ordinary request (here: refused for want of a token).
  const same = await raw(`GET http://localhost:${port}/v1/version HTTP/1.1\r\nHost: localhost\r\n`)
  assert.match(same, /^HTTP\/1\.1 401/)
})

describe('failed authentication is rate-limited per client address', () => {
  test('past 20 failures a minute, that address gets 429 with Retry-After; a good token still gets in', async (t) => {
    const { app, call, token, setNow } = await startApp(t, { now: NOW })
    const from = (remoteAddress: string, authorization?: string) =>
      app.inject({
        url: '/v1/apps',
        remoteAddress,
        headers: authorization === undefined ? {} : { authorization },
      })
    const revoked = await scoped(call, 'read_only')
    const id = (await call({ url: '/v1/auth/tokens' })).json()[0].id
    await call({ method: 'POST', url: '/v1/auth/tokens/revoke', payload: { id } })

    // Requests without a token are refused but are not guesses: they do not count.
    for (let i = 0; i < 30; i++) assert.equal((await from('192.0.2.1')).statusCode, 401)
    for (let i = 0; i < 19; i++) {
      assert.equal((await from('192.0.2.1', 'Bearer wrong')).statusCode, 401)
    }
    assert.equal((await from('192.0.2.1', `Bearer ${revoked}`)).statusCode, 401, 'the 20th')
    const limited = await from('192.0.2.1', 'Bearer wrong')
    assert.equal(limited.statusCode, 429)
    assert.equal(limited.headers['retry-after'], '60')
    assert.equal(limited.json().code, 'rate_limited')
    assert.ok(!limited.body.includes('wrong'), 'the presented token is not echoed')
    // One broken script must not lock out every other client of that address.
    assert.equal((await from('192.0.2.1', `Bearer ${token}`)).statusCode, 200)
    assert.equal((await from('192.0.2.1')).statusCode, 429)
    // Public probes stay open, and other addresses are unaffected.
    const probe = await app.inject({ url: '/healthz', remoteAddress: '192.0.2.1' })
    assert.equal(probe.statusCode, 200)
    assert.equal((await from('192.0.2.2', `Bearer ${token}`)).statusCode, 200)

    setNow(NOW + 30_000)
    assert.equal((await from('192.0.2.1', 'Bearer wrong')).headers['retry-after'], '30')
    setNow(NOW + 60_000)
    assert.equal((await from('192.0.2.1', 'Bearer wrong')).statusCode, 401)
  })

  test('every loopback address shares one budget', async (t) => {
    const { app, token } = await startApp(t, { authFailureLimit: { limit: 3, windowMs: 60_000 } })
    const from = (remoteAddress: string, secret: string) =>
      app.inject({ url: '/v1/apps', remoteAddress, headers: { authorization: `Bearer ${secret}` } })
    for (const address of ['127.0.0.1', '127.0.0.2', '::ffff:127.9.9.9']) {
      assert.equal((await from(address, 'wrong')).statusCode, 401)
    }
    assert.equal((await from('127.1.2.3', 'wrong')).statusCode, 429)
    assert.equal((await from('::1', 'wrong')).statusCode, 429)
    assert.equal((await from('127.1.2.3', token)).statusCode, 200)
  })

  test('the limit is configurable, and a forbidden scope is not a failure', async (t) => {
    const { app, call } = await startApp(t, { authFailureLimit: { limit: 2, windowMs: 1000 } })
    const stream = await scoped(call, 'stream')
    for (let i = 0; i < 5; i++) {
      const res = await app.inject({ url: '/v1/apps', headers: bearer(stream) })
      assert.equal(res.statusCode, 403)
    }
    for (const expected of [401, 401, 429]) {
      const res = await app.inject({ url: '/v1/apps', headers: bearer('nope') })
      assert.equal(res.statusCode, expected)
    }
  })
})

test('request bodies are limited per route, and the servers time out slow requests and idle connections', async (t) => {
  const { app, call } = await startApp(t)
  const body = (n: number) =>
    JSON.stringify({ name: 'n', acl: 'data', expiry: 'week', pad: 'x'.repeat(n) })
  const ok = await call({
    method: 'POST',
    url: '/v1/auth/tokens',
    headers: { 'content-type': 'application/json' },
    payload: body(15_000),
  })
  assert.equal(ok.statusCode, 200)
  for (const url of [
    '/v1/auth/tokens',
    '/v1/auth/tokens/revoke',
    '/v1/auth/default-token/refresh',
  ]) {
    const res = await call({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload: body(17_000),
    })
    assert.equal(res.statusCode, 413, url)
  }
  // Batches keep their own, larger limit.
  const batch = await call({
    method: 'POST',
    url: '/v1/events',
    headers: { 'content-type': 'application/json' },
    payload: `[${' '.repeat(2 * 1024 * 1024)}]`,
  })
  assert.equal(batch.statusCode, 200, 'a 2 MB body is fine on the batch route')
  assert.equal(app.server.requestTimeout, HTTP_TIMEOUTS.requestTimeout)
  assert.equal(app.server.headersTimeout, HTTP_TIMEOUTS.headersTimeout)
  assert.equal(app.server.keepAliveTimeout, HTTP_TIMEOUTS.keepAliveTimeout)
  assert.ok(HTTP_TIMEOUTS.requestTimeout > 0 && HTTP_TIMEOUTS.requestTimeout <= 120_000)
})

// Bounded by the test's own limit: on a server that waits for such a connection, close never ends.
test(
  'a clean stop does not wait for a connection that has sent nothing (a browser opens some ahead of need)',
  { timeout: 60_000 },
  async (t) => {
    const { app } = await startApp(t)
    const port = await listen(app)
    const socket = net.connect(port, '127.0.0.1')
    await new Promise<void>((resolve) => socket.once('connect', resolve))
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.on('error', () => undefined)
    await app.close()
    // The daemon's end, not the client's, closed it.
    await ended
    assert.equal(socket.bytesWritten, 0)
  },
)
