import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { ACCESS_CLASSES, type Access, SCOPES, type Scope, allows } from '../../src/domain/access.ts'
import { PROTOCOL_VERSION } from '../../src/domain/protocol.ts'
import { startApp, tempDir } from '../helpers.ts'

const FORBIDDEN = {
  code: 'forbidden',
  message: 'token does not have permission for this endpoint',
}

/** What the issue grants each scope, class by class. */
const EXPECTED: Record<Scope, readonly Access[]> = {
  admin: ['public', 'any', 'read', 'analysis', 'stream', 'statusbar', 'ingest', 'admin'],
  // A device paired with a hub: its sync routes there, nothing else.
  sync: ['public', 'sync'],
  read_only: ['public', 'any', 'read', 'stream', 'statusbar'],
  data: ['public', 'any', 'read', 'analysis', 'stream', 'statusbar'],
  stream: ['public', 'any', 'stream'],
  ingest: ['public', 'any', 'statusbar', 'ingest'],
}

test('the grant table: each scope reaches exactly the access classes the issue names', () => {
  for (const scope of SCOPES) {
    assert.deepEqual(
      ACCESS_CLASSES.filter((access) => allows(scope, access)),
      EXPECTED[scope],
      scope,
    )
  }
})

test('every route declares an access class, and the classes mean what the scopes promise', async (t) => {
  const { app } = await startApp(t)
  const routes = app.daybook.routes
  assert.ok(routes.length >= 40)
  for (const r of routes) {
    assert.ok(r.access !== undefined, `${r.method} ${r.url} declares no access class`)
  }
  // Reads only an admin may make: the token list, the users (a server admin's), and hooks (rules hold webhook secrets and
  // commands) with do-not-disturb, the screenshot settings; and the screenshots' images, which
  // need the data scope (what was on screen is more than a read-only key should see).
  const adminReads = (url: string) =>
    url.endsWith('/auth/tokens') ||
    url === '/v1/users' ||
    url.startsWith('/v1/hooks') ||
    url === '/v1/settings/dnd/config' ||
    url === '/v1/settings/screenshot/config'
  const dataReads = (url: string) => /^(\/v1)?\/screenshots\/:/.test(url)
  const reads = routes.filter((r) => r.method === 'GET' || r.method === 'HEAD')
  for (const r of reads) {
    const access = r.access ?? 'admin'
    // read_only: GET and HEAD anywhere except those, a hub's paired devices, and the routes a
    // paired device calls with its own token.
    assert.equal(
      allows('read_only', access),
      !adminReads(r.url) &&
        !dataReads(r.url) &&
        !r.url.endsWith('/sync/clients') &&
        !r.url.includes('/sync/hub/'),
      `read_only on ${r.method} ${r.url}`,
    )
    // sync: a device reads only what its hub sends it.
    if (allows('sync', access)) {
      assert.ok(['public', 'sync'].includes(access), `sync reads ${r.method} ${r.url}`)
    }
    // ingest: no reads of anything beyond the API description, version-like `any` routes and
    // today's total for an editor's status bar.
    if (allows('ingest', access)) {
      assert.ok(
        ['public', 'any', 'statusbar'].includes(access),
        `ingest reads ${r.method} ${r.url}`,
      )
      if (access === 'statusbar') assert.match(r.url, /\/status_?bar\//, r.url)
    }
  }
  for (const r of routes.filter((x) => x.access === 'ingest')) {
    assert.equal(r.method, 'POST', `ingest routes are writes: ${r.url}`)
  }
  for (const r of routes.filter((x) => x.access === 'sync')) {
    assert.match(r.url, /^\/v1\/sync\/hub\//, `sync routes are a hub's: ${r.url}`)
  }
  // Token management and hooks are admin-only, at every path and method.
  const hooks = routes.filter((x) => x.url.startsWith('/v1/hooks') || x.url.includes('/dnd/'))
  assert.ok(hooks.length >= 10, 'the hooks routes are served')
  for (const r of [...routes.filter((x) => x.url.includes('/auth/')), ...hooks]) {
    assert.equal(r.access, 'admin', `${r.method} ${r.url}`)
  }
  const images = routes.filter((x) => dataReads(x.url))
  assert.equal(images.filter((r) => r.method === 'GET').length, 4, 'the image routes are served')
  for (const r of images) {
    assert.equal(r.access, 'analysis', `${r.method} ${r.url}`)
    assert.ok(allows('data', r.access) && !allows('read_only', r.access), r.url)
  }
})

test('each scope against every route: allowed ones answer, the others are 403 with the forbidden body', async (t) => {
  // A built dashboard, so its routes answer 200 rather than 503 (not built) or 404.
  const dist = path.join(tempDir(t), 'dist')
  mkdirSync(path.join(dist, 'assets'), { recursive: true })
  for (const file of ['index.html', 'favicon.svg', 'assets/app.js']) {
    writeFileSync(path.join(dist, file), '')
  }
  // A hub, so its sync routes answer; a sync token is made by pairing a device with it.
  const { app, call } = await startApp(t, {
    dashboardDir: dist,
    sync: { hub: { url: 'https://hub.test:5610', fingerprint: undefined } },
  })
  const tokens = new Map<Scope, string>()
  for (const acl of SCOPES) {
    if (acl === 'sync') {
      const { code } = (await call({ method: 'POST', url: '/v1/sync/pair', payload: {} })).json()
      const joined = await app.inject({
        method: 'POST',
        url: '/v1/sync/hub/join',
        payload: {
          code,
          device: { id: '0199881f-4613-7ac3-a5bb-2cd7ff27ff5b', name: 'walker' },
          protocol: PROTOCOL_VERSION,
        },
      })
      tokens.set(acl, joined.json().token)
      continue
    }
    const res = await call({
      method: 'POST',
      url: '/v1/auth/tokens',
      payload: { name: `walk ${acl}`, acl, expiry: 'never' },
    })
    tokens.set(acl, res.json().token)
  }
  let checked = 0
  // A device leaving revokes its own token: that route is walked last.
  const walk = [...app.daybook.routes].sort(
    (a, b) => Number(a.url.endsWith('/sync/hub/leave')) - Number(b.url.endsWith('/sync/hub/leave')),
  )
  for (const { method, url, access = 'admin', wire } of walk) {
    const path =
      url === '*'
        ? '/v1/anything'
        : url.replace(':id', '0199881f-4613-7ac3-a5bb-2cd7ff27ff5a').replace('/*', '/app.js')
    for (const scope of SCOPES) {
      const res = await app.inject({
        method: method as 'GET',
        url: path,
        headers: { authorization: `Bearer ${tokens.get(scope) ?? ''}` },
      })
      const what = `${scope} → ${method} ${url} (${access}): ${res.statusCode} ${res.body}`
      if (allows(scope, access)) {
        // Reached the handler, or its validation: a missing body or query is the caller's fault.
        // The chat's routes that need the model server say that none is configured (503).
        const noModelServer =
          wire === 'openai' &&
          res.statusCode === 503 &&
          (method === 'HEAD' ||
            res.json<{ error: { code: string } }>().error.code === 'llm_not_configured')
        assert.ok(
          noModelServer || (![401, 403, 429].includes(res.statusCode) && res.statusCode < 500),
          what,
        )
        // A 404 of an unknown thing (a label id) is fine; the router's own 404 is not.
        if (url !== '*' && res.statusCode === 404 && method !== 'HEAD') {
          assert.notEqual(res.json<{ code: string }>().code, 'not_found', what)
        }
      } else if (wire === 'frames') {
        // The frames client knows one refusal only: a key that is not for this route is a 401.
        assert.equal(res.statusCode, 401, what)
        assert.deepEqual(res.json(), { error: 'unauthorized' }, what)
      } else if (wire === 'openai') {
        // OpenAI's clients read OpenAI's error shape.
        assert.equal(res.statusCode, 403, what)
        if (method !== 'HEAD') {
          assert.deepEqual(
            res.json(),
            { error: { ...FORBIDDEN, type: 'permission_error', param: null } },
            what,
          )
        }
      } else {
        assert.equal(res.statusCode, 403, what)
        if (method !== 'HEAD') assert.deepEqual(res.json(), FORBIDDEN, what)
      }
      checked++
    }
  }
  assert.equal(checked, app.daybook.routes.length * SCOPES.length)
})
