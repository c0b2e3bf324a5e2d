/**
 * What the daemon writes while it runs: human lines by default, JSON lines with
 * `--log-format json`, the same on the main and the ActivityWatch listener, and nothing per request.
 */
import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import { type DaemonProcess, request, startDaemon } from '../daemon.ts'

/** Waits until the daemon has written a line matching `pattern` to stderr. */
function printed(d: DaemonProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve) => {
    const check = () => {
      const m = pattern.exec(d.stderr())
      if (m === null) return
      d.child.stderr?.off('data', check)
      resolve(m)
    }
    d.child.stderr?.on('data', check)
    check()
  })
}

/** Starts a daemon with the ActivityWatch listener, makes requests on both, stops it. */
async function run(t: TestContext, format: string[]) {
  const d = await startDaemon(t, ['--log-level', 'info', '--aw', '--aw-port', '0', ...format])
  // The listening line, printed once the daemon is ready, names both listeners.
  const awPort = Number((await printed(d, /:(\d+) \(ActivityWatch API\)/))[1])
  const port = d.discovery.port ?? 0
  const auth = { authorization: `Bearer ${d.token}` }
  for (let i = 0; i < 3; i++) {
    assert.equal((await request({ port }, { path: '/healthz' })).status, 200)
    assert.equal(
      (await request({ port: awPort }, { path: '/api/0/info', headers: auth })).status,
      200,
    )
  }
  // A request with a token in its query: a refused one, which the daemon logs.
  await request({ port }, { path: '/v1/status?token=secret-in-url' })
  d.child.kill('SIGTERM')
  assert.equal(await d.exited, 0, d.stderr())
  return { stdout: d.stdout(), lines: d.stderr().trimEnd().split('\n'), token: d.token }
}

test('human log lines by default, on both listeners, no line per request', async (t) => {
  const { stdout, lines, token } = await run(t, [])
  assert.equal(stdout, '')
  for (const line of lines) assert.doesNotMatch(line, /^\{/, 'no JSON line')
  const all = lines.join('\n')
  assert.match(
    all,
    /^daybook \S+ listening on http:\/\/127\.0\.0\.1:\d+ and http:\/\/127\.0\.0\.1:\d+ \(ActivityWatch API\)/m,
  )
  assert.match(all, /^daybook: SIGTERM received, shutting down$/m)
  assert.doesNotMatch(all, /incoming request|request completed|Server listening at/)
  assert.ok(!all.includes(token) && !all.includes('secret-in-url'), 'no secret in the log')
})

test('--log-format json: every line is a JSON entry, on both listeners', async (t) => {
  const { stdout, lines, token } = await run(t, ['--log-format', 'json'])
  assert.equal(stdout, '')
  const entries = lines.map((line) => JSON.parse(line) as { level: number; msg: string })
  assert.ok(entries.some((e) => e.level === 30 && /listening on .*ActivityWatch API/.test(e.msg)))
  assert.ok(entries.some((e) => /SIGTERM received, shutting down/.test(e.msg)))
  assert.ok(!entries.some((e) => /incoming request|request completed/.test(e.msg)))
  const all = lines.join('\n')
  assert.ok(!all.includes(token) && !all.includes('secret-in-url'), 'no secret in the log')
})

test('DAYBOOK_LOG_FORMAT sets it too; a bad value names the flag and the variable', async (t) => {
  const { runCli } = await import('../daemon.ts')
  const bad = await runCli(['serve', '--log-format', 'xml', '--port', '0'])
  assert.equal(bad.code, 2)
  assert.match(
    bad.stderr,
    /--log-format must be human or json, got "xml" \(read from --log-format or DAYBOOK_LOG_FORMAT\)/,
  )
  const d = await startDaemon(t, ['--log-level', 'info'], { env: { DAYBOOK_LOG_FORMAT: 'json' } })
  d.child.kill('SIGTERM')
  await d.exited
  for (const line of d.stderr().trimEnd().split('\n')) {
    assert.doesNotThrow(() => JSON.parse(line), line)
  }
})
