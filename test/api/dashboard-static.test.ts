import assert from 'node:assert/strict'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import type { LightMyRequestResponse } from 'fastify'
import { DASHBOARD_CSP } from '../../src/api/plugins/dashboard-static.ts'
import { startApp, tempDir } from '../helpers.ts'

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const INDEX =
  '<!doctype html><title>Daybook</title><script type="module" src="/assets/index-abc123.js"></script>'
const SCRIPT = 'console.log("daybook")\n'

function assertSecurityHeaders(res: LightMyRequestResponse): void {
  assert.equal(res.headers['content-security-policy'], CSP)
  assert.equal(res.headers['x-content-type-options'], 'nosniff')
  assert.equal(res.headers['referrer-policy'], 'no-referrer')
  assert.equal(res.headers['x-frame-options'], 'DENY')
}

test('the built dashboard is served at / with its CSP and cache headers; the API is unchanged', async (t) => {
  assert.equal(DASHBOARD_CSP, CSP)
  const dist = path.join(tempDir(t), 'dist')
  mkdirSync(path.join(dist, 'assets'), { recursive: true })
  writeFileSync(path.join(dist, 'index.html'), INDEX)
  writeFileSync(path.join(dist, 'assets', 'index-abc123.js'), SCRIPT)
  writeFileSync(path.join(dist, 'assets', 'index-abc123.css'), 'body{margin:0}')
  writeFileSync(path.join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
  writeFileSync(path.join(dist, '.env'), 'SECRET=1')
  const { app, call } = await startApp(t, { dashboardDir: dist })

  await t.test(
    'GET / and /index.html: the page, no token needed, revalidated on each load',
    async () => {
      for (const url of ['/', '/index.html']) {
        const res = await app.inject({ url })
        assert.equal(res.statusCode, 200, url)
        assert.equal(res.body, INDEX)
        assert.match(res.headers['content-type'] ?? '', /^text\/html/)
        assert.equal(res.headers['cache-control'], 'no-cache')
        assert.ok(res.headers.etag, 'an ETag to revalidate against')
        assertSecurityHeaders(res)
        const again = await app.inject({
          url,
          headers: { 'if-none-match': res.headers.etag ?? '' },
        })
        assert.equal(again.statusCode, 304)
      }
      const head = await app.inject({ method: 'HEAD', url: '/' })
      assert.equal(head.statusCode, 200)
      assertSecurityHeaders(head)
    },
  )

  await t.test(
    'GET /assets/*: hashed files cached for a year; a missing one is the JSON 404',
    async () => {
      const js = await app.inject({ url: '/assets/index-abc123.js' })
      assert.equal(js.statusCode, 200)
      assert.equal(js.body, SCRIPT)
      assert.match(String(js.headers['content-type']), /javascript/)
      assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable')
      assertSecurityHeaders(js)
      const css = await app.inject({ url: '/assets/index-abc123.css' })
      assert.match(String(css.headers['content-type']), /^text\/css/)

      const missing = await app.inject({ url: '/assets/nope.js' })
      assert.equal(missing.statusCode, 404)
      assert.equal(missing.json().code, 'not_found')
      assert.notEqual(missing.headers['cache-control'], 'public, max-age=31536000, immutable')
      assertSecurityHeaders(missing)
    },
  )

  await t.test('nothing outside the assets folder is reachable through it', async () => {
    // (`/assets/../x` and `/assets/%2e%2e/x` are `/x` before routing: URLs are normalised.)
    for (const url of [
      '/assets/..%2f.env',
      '/assets/%2e%2e%2f.env',
      '/assets/..%2findex.html',
      '/assets/%2e%2e%2f%2e%2e%2fdaybook.db',
      '/assets/%2e%2e/.env',
      '/.env',
    ]) {
      const res = await app.inject({ url })
      assert.ok([401, 403, 404].includes(res.statusCode), `${url}: ${res.statusCode}`)
      assert.ok(!res.body.includes('SECRET'), url)
      assert.ok(!res.body.includes('<!doctype'), url)
    }
  })

  await t.test('GET /favicon.svg', async () => {
    const res = await app.inject({ url: '/favicon.svg' })
    assert.equal(res.statusCode, 200)
    assert.match(res.headers['content-type'] ?? '', /^image\/svg\+xml/)
    assertSecurityHeaders(res)
  })

  await t.test(
    'API routes, probes and unknown paths answer as before, without the page headers',
    async () => {
      const health = await app.inject({ url: '/health' })
      assert.deepEqual(health.json(), { status: 'ok' })
      assert.equal(health.headers['content-security-policy'], undefined)
      assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
      assert.equal((await app.inject({ url: '/readyz' })).statusCode, 200)
      assert.equal((await app.inject({ url: '/v1/summary/total' })).statusCode, 401)
      assert.equal((await app.inject({ url: '/events' })).statusCode, 401)
      assert.equal((await call({ url: '/v1/summary/total' })).statusCode, 200)
      const openapi = await call({ url: '/v1/openapi.json' })
      assert.equal(openapi.statusCode, 200)
      const paths = Object.keys(openapi.json<{ paths: Record<string, unknown> }>().paths)
      assert.ok(
        !paths.includes('/') && !paths.some((p) => p.startsWith('/assets')),
        'page routes are not API',
      )
      const unknown = await call({ url: '/nope' })
      assert.equal(unknown.statusCode, 404)
      assert.equal(unknown.json().code, 'not_found')
      // Unknown paths still need a token, as before: the page's routes open nothing else.
      assert.equal((await app.inject({ url: '/nope' })).statusCode, 401)
    },
  )

  await t.test('the Host check applies to the page too (DNS rebinding)', async () => {
    const res = await app.inject({ url: '/', headers: { host: 'evil.example' } })
    assert.equal(res.statusCode, 421)
  })

  await t.test('a dist removed while the daemon runs: 503 dashboard_not_built', async () => {
    rmSync(dist, { recursive: true })
    const res = await app.inject({ url: '/' })
    assert.equal(res.statusCode, 503)
    assert.deepEqual(res.json(), {
      code: 'dashboard_not_built',
      message: 'The dashboard is not built: run npm run build:web',
    })
    assertSecurityHeaders(res)
  })
})

test('no web/dist: GET / is 503 dashboard_not_built', async (t) => {
  const { app } = await startApp(t, { dashboardDir: path.join(tempDir(t), 'missing') })
  for (const url of ['/', '/index.html']) {
    const res = await app.inject({ url })
    assert.equal(res.statusCode, 503, url)
    assert.equal(res.json().code, 'dashboard_not_built')
  }
  assert.equal((await app.inject({ url: '/assets/index.js' })).statusCode, 404)
})
