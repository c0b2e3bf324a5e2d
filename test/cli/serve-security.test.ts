import assert from 'node:assert/strict'
import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import { resolveServeConfig } from '../../src/cli/serve.ts'
import { request, runCli, startDaemon } from '../daemon.ts'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

describe('daybook serve: hardening', () => {
  test('binding a non-loopback address prints a warning on stderr, and the Host check is off there', async (t) => {
    const d = await startDaemon(t, ['--host', '0.0.0.0'])
    assert.match(
      d.stderr(),
      /^daybook serve: warning: listening on 0\.0\.0\.0, reachable from other machines;/m,
    )
    const port = d.discovery.port ?? 0
    const res = await request(
      { port },
      { path: '/v1/apps', headers: { host: 'my-laptop.lan:5610', ...bearer(d.token) } },
    )
    assert.equal(res.status, 200)
    assert.equal((await request({ port }, { path: '/v1/apps' })).status, 401)
  })

  test('the default loopback bind prints no warning and checks Host; the Unix socket is exempt', async (t) => {
    const d = await startDaemon(t, ['--socket', '--allow-host', 'daybook.test'])
    assert.doesNotMatch(d.stderr(), /warning/)
    const port = d.discovery.port ?? 0
    const socketPath = d.discovery.socket ?? ''
    const get = (target: { port: number } | { socketPath: string }, host: string) =>
      request(target, { path: '/v1/apps', headers: { host, ...bearer(d.token) } })
    const rebound = await get({ port }, 'evil.example')
    assert.equal(rebound.status, 421)
    assert.equal(JSON.parse(rebound.body).code, 'misdirected_request')
    assert.equal((await get({ port }, `127.0.0.1:${port}`)).status, 200)
    assert.equal((await get({ port }, 'daybook.test:80')).status, 200)
    assert.equal((await get({ socketPath }, 'evil.example')).status, 200)
  })

  test('failed authentications over TCP are limited; over the Unix socket they are not', async (t) => {
    const d = await startDaemon(t, ['--socket'])
    const port = d.discovery.port ?? 0
    const socketPath = d.discovery.socket ?? ''
    const get = (target: { port: number } | { socketPath: string }, token: string) =>
      request(target, { path: '/v1/apps', headers: bearer(token) })
    for (let i = 0; i < 25; i++) assert.equal((await get({ socketPath }, 'wrong')).status, 401)
    assert.equal((await get({ socketPath }, d.token)).status, 200)
    for (let i = 0; i < 20; i++) assert.equal((await get({ port }, 'wrong')).status, 401)
    const limited = await get({ port }, 'wrong')
    assert.equal(limited.status, 429)
    assert.ok(Number(limited.headers['retry-after']) > 0)
    assert.equal((await get({ port }, d.token)).status, 200, 'a valid token is never locked out')
    assert.equal((await get({ socketPath }, 'wrong')).status, 401, 'the socket is not limited')
  })

  test('refresh rewrites auth.token (0600) and the old token stops at once; with DAYBOOK_TOKEN it is a 409', async (t) => {
    const d = await startDaemon(t)
    const port = d.discovery.port ?? 0
    const file = path.join(d.configDir, 'auth.token')
    const res = await request(
      { port },
      { method: 'POST', path: '/v1/auth/default-token/refresh', headers: bearer(d.token) },
    )
    assert.equal(res.status, 200)
    const { token } = JSON.parse(res.body)
    assert.equal(readFileSync(file, 'utf8'), `${token}\n`)
    assert.equal(statSync(file).mode & 0o777, 0o600)
    assert.equal((await request({ port }, { path: '/apps', headers: bearer(d.token) })).status, 401)
    assert.equal((await request({ port }, { path: '/apps', headers: bearer(token) })).status, 200)

    const fixed = await startDaemon(t, [], { env: { DAYBOOK_TOKEN: 'from-the-environment' } })
    const refused = await request(
      { port: fixed.discovery.port ?? 0 },
      {
        method: 'POST',
        path: '/v1/auth/default-token/refresh',
        headers: bearer('from-the-environment'),
      },
    )
    assert.equal(refused.status, 409)
    assert.equal(JSON.parse(refused.body).code, 'default_token_fixed')
  })

  test('no secret reaches the log, even at trace level', async (t) => {
    const d = await startDaemon(t, ['--log-level', 'trace', '--socket'])
    const port = d.discovery.port ?? 0
    const created = await request(
      { port },
      {
        method: 'POST',
        path: '/v1/auth/tokens',
        headers: bearer(d.token),
        body: JSON.stringify({ name: 'logged?', acl: 'data', expiry: 'never' }),
      },
    )
    const scoped = JSON.parse(created.body).token as string
    const refreshed = await request(
      { socketPath: d.discovery.socket ?? '' },
      { method: 'POST', path: '/v1/auth/default-token/refresh', headers: bearer(d.token) },
    )
    const fresh = JSON.parse(refreshed.body).token as string
    await request({ port }, { path: '/v1/apps', headers: bearer(scoped) })
    await request({ port }, { path: `/v1/apps?token=${scoped}` })
    await request({ port }, { path: `/v1/nowhere?token=${fresh}`, headers: bearer(d.token) })
    await request({ port }, { path: '/v1/apps', headers: bearer(`${scoped}x`) })
    await request({ port }, { path: '/v1/events?preset=bogus', headers: bearer(fresh) })
    d.child.kill('SIGTERM')
    assert.equal(await d.exited, 0)
    const output = d.stdout() + d.stderr()
    assert.ok(output.length > 0, 'the daemon logged something at trace level')
    for (const secret of [d.token, scoped, fresh]) {
      assert.equal(output.includes(secret), false)
      assert.equal(output.includes(secret.slice(6, -4)), false)
    }
  })
})

describe('daybook serve: Host and CORS settings', () => {
  test('--allow-host and --cors-origin repeat; the variables take comma-separated lists', () => {
    const fromFlags = resolveServeConfig(
      [
        '--allow-host',
        'Daybook.Test',
        '--allow-host',
        '::1',
        '--cors-origin',
        'http://localhost:3000/',
        '--cors-origin',
        'chrome-extension://abcdefgh',
      ],
      { DAYBOOK_ALLOWED_HOSTS: 'ignored.test', DAYBOOK_CORS_ORIGINS: 'http://ignored' },
    )
    assert.deepEqual(fromFlags.allowedHosts, ['daybook.test', '[::1]'])
    assert.deepEqual(fromFlags.corsOrigins, [
      'http://localhost:3000',
      'chrome-extension://abcdefgh',
    ])
    const fromEnv = resolveServeConfig([], {
      DAYBOOK_ALLOWED_HOSTS: 'a.test, b.test,',
      DAYBOOK_CORS_ORIGINS: 'http://localhost:3000,https://x.test',
    })
    assert.deepEqual(fromEnv.allowedHosts, ['a.test', 'b.test'])
    assert.deepEqual(fromEnv.corsOrigins, ['http://localhost:3000', 'https://x.test'])
    const none = resolveServeConfig([], {})
    assert.deepEqual([none.allowedHosts, none.corsOrigins], [[], []])
  })

  test('a wildcard origin or a malformed host name exits 2 with a message', async () => {
    const star = await runCli(['serve', '--cors-origin', '*'])
    assert.equal(star.code, 2)
    assert.match(star.stderr, /--cors-origin must be an origin such as http:\/\/localhost:3000/)
    const env = await runCli(['serve'], { DAYBOOK_ALLOWED_HOSTS: 'ok.test,not a host' })
    assert.equal(env.code, 2)
    assert.match(env.stderr, /DAYBOOK_ALLOWED_HOSTS must be a host name or IP address/)
  })

  test('--help documents the security flags', async () => {
    const help = await runCli(['serve', '--help'])
    for (const word of [
      '--allow-host',
      '--cors-origin',
      'DAYBOOK_ALLOWED_HOSTS',
      'DAYBOOK_CORS_ORIGINS',
      '421',
      '429',
      'readable by other users',
    ]) {
      assert.ok(help.stdout.includes(word), word)
    }
  })
})
