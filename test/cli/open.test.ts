import assert from 'node:assert/strict'
import { test } from 'node:test'
import { hasDesktop } from '../../src/cli/open.ts'
import { request, runCli, startInProcess } from '../daemon.ts'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** No desktop in the CLI's environment either, so no test can ever start a browser. */
const NO_DESKTOP = { DISPLAY: '', WAYLAND_DISPLAY: '' }

test('daybook open prints a sign-in URL that a browser can exchange for a session', async (t) => {
  // With a Unix socket too: the CLI talks over the socket, the URL names the TCP listener.
  const d = await startInProcess(t, ['--socket'])
  const where = ['--data-dir', d.dataDir, '--config-dir', d.configDir]
  const port = d.discovery.port ?? 0

  const exchange = async (stdout: string) => {
    const url = new URL(stdout.trim())
    assert.equal(url.origin, `http://127.0.0.1:${port}`)
    assert.equal(url.pathname, '/')
    const code = new URLSearchParams(url.hash.slice(1)).get('code') ?? ''
    assert.match(code, /^[A-Za-z0-9_-]{43}$/)
    const res = await request(
      { port },
      { method: 'POST', path: '/v1/session', body: JSON.stringify({ code }) },
    )
    assert.equal(res.status, 201, res.body)
    return JSON.parse(res.body) as { token: string; scope: string }
  }

  const data = await runCli(['open', '--no-browser', ...where], NO_DESKTOP)
  assert.equal(data.code, 0, data.stderr)
  assert.equal(data.stdout.split('\n').length, 2, 'the URL alone on stdout')
  assert.match(data.stderr, /once, within 2 minutes \(data session\)/)
  const session = await exchange(data.stdout)
  assert.equal(session.scope, 'data')
  const total = await request(
    { port },
    { path: '/v1/summary/total', headers: bearer(session.token) },
  )
  assert.equal(total.status, 200)
  const tokens = await request(
    { port },
    { path: '/v1/auth/tokens', headers: bearer(session.token) },
  )
  assert.equal(tokens.status, 403)

  // The same link again: refused.
  const reused = await request(
    { port },
    {
      method: 'POST',
      path: '/v1/session',
      body: JSON.stringify({
        code: new URLSearchParams(new URL(data.stdout.trim()).hash.slice(1)).get('code'),
      }),
    },
  )
  assert.equal(reused.status, 401)
  assert.equal(JSON.parse(reused.body).code, 'invalid_login_code')

  // --admin; and without a desktop no browser is tried even without --no-browser.
  const admin = await runCli(['open', '--admin', ...where], NO_DESKTOP)
  assert.equal(admin.code, 0, admin.stderr)
  assert.match(admin.stderr, /Open it in your browser/)
  const adminSession = await exchange(admin.stdout)
  assert.equal(adminSession.scope, 'admin')
  const adminTokens = await request(
    { port },
    { path: '/v1/auth/tokens', headers: bearer(adminSession.token) },
  )
  assert.equal(adminTokens.status, 200)
  assert.ok(
    (JSON.parse(adminTokens.body) as { name: string }[]).filter(
      (x) => x.name === 'dashboard session',
    ).length === 2,
  )

  // Without the admin token: the daemon's refusal, one line.
  const refused = await runCli(['open', '--no-browser', ...where], {
    ...NO_DESKTOP,
    DAYBOOK_TOKEN: session.token,
  })
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /^daybook open: the daemon refused: .*\(403 forbidden\)\n$/)
  assert.equal(refused.stdout, '')
})

test('daybook open against a daemon on its Unix socket only: one line, exit 1', async (t) => {
  const d = await startInProcess(t, ['--no-tcp'])
  const res = await runCli(
    ['open', '--no-browser', '--data-dir', d.dataDir, '--config-dir', d.configDir],
    NO_DESKTOP,
  )
  assert.equal(res.code, 1)
  assert.equal(res.stdout, '')
  assert.equal(
    res.stderr,
    'daybook open: the dashboard needs the daemon’s TCP listener, and this daemon serves only ' +
      'its Unix socket: restart it without --no-tcp\n',
  )
})

test('daybook open: --help, unknown options, no daemon', async (t) => {
  const help = await runCli(['open', '--help'])
  assert.equal(help.code, 0)
  assert.match(help.stdout, /^Usage: daybook open \[--admin\] \[--no-browser\]\n/)
  assert.match(help.stdout, /--no-browser/)

  const bad = await runCli(['open', '--bogus'])
  assert.equal(bad.code, 2)
  assert.equal(
    bad.stderr,
    'daybook open: unknown option --bogus\nUsage: daybook open [--admin] [--no-browser] (see daybook open --help)\n',
  )
  const extra = await runCli(['open', 'now'])
  assert.equal(extra.code, 2)

  const dir = `/tmp/daybook-open-none-${process.pid}`
  const none = await runCli(['open', '--no-browser', '--data-dir', dir], NO_DESKTOP)
  assert.equal(none.code, 1)
  assert.equal(none.stderr.split('\n').length, 2, none.stderr)
  t.diagnostic(none.stderr.trim())
})

test('a desktop is DISPLAY or WAYLAND_DISPLAY on Linux, always there on macOS and Windows', () => {
  assert.equal(hasDesktop({}, 'linux'), false)
  assert.equal(hasDesktop({ DISPLAY: '' }, 'linux'), false)
  assert.equal(hasDesktop({ DISPLAY: ':0' }, 'linux'), true)
  assert.equal(hasDesktop({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux'), true)
  assert.equal(hasDesktop({}, 'darwin'), true)
  assert.equal(hasDesktop({}, 'win32'), true)
})
