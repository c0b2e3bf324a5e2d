import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { type TestContext, describe, test } from 'node:test'
import { DaybookClient, clientConnector } from '../../src/client/client.ts'
import { classify } from '../../src/collectors/platform/uiohook.ts'
import { Courier } from '../../src/collectors/core/courier.ts'
import { Outbox } from '../../src/collectors/core/outbox.ts'
import { type InputItem, daybookInputDelivery } from '../../src/collectors/input/deliveries.ts'
import { resolveWatchConfig } from '../../src/cli/watch.ts'
import { inputRoute } from '../../src/collectors/targets.ts'
import { runCli } from '../daemon.ts'
import { startApp, tempDir } from '../helpers.ts'

const NOW = Date.UTC(2026, 3, 1, 10, 2)
const B0 = Date.UTC(2026, 3, 1, 10, 0)
const zero = { lc: 0, rc: 0, mc: 0, kp: 0, mm: 0, scroll: 0 }
const entry = (id: string, ago: number, over: Partial<InputItem> = {}): InputItem => ({
  id,
  bucketMs: B0 - ago,
  ...zero,
  ...over,
})

/** What one attempt of a configured route answers (a client made as the courier makes it). */
const sendVia = (route: ReturnType<typeof inputRoute>, items: InputItem[]) =>
  route.delivery.send(route.client(), items)

async function listening(t: TestContext) {
  const started = await startApp(t, { now: NOW, keys: { 'read-key': 'read_only' } })
  await started.app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = started.app.server.address() as AddressInfo
  return { ...started, baseUrl: `http://127.0.0.1:${port}` }
}

describe('input deliveries against a real daybook', () => {
  test('daybook format: batches in, a re-send counts nothing twice; a refused key is a 401 failure', async (t) => {
    const { baseUrl, token, call } = await listening(t)
    const delivery = daybookInputDelivery('/v1/input', 'daybook-input')
    const client = new DaybookClient({ endpoint: { baseUrl }, token })
    const entries = [entry('a', 300_000, { kp: 2, scroll: 1 }), entry('b', 0, { lc: 1, mm: 5 })]
    assert.deepEqual(await delivery.send(client, entries), { accepted: 2 })
    assert.deepEqual(
      await delivery.send(client, entries),
      { accepted: 2 },
      're-sent after a lost answer',
    )
    const rows = (await call({ url: '/v1/activity/summary' })).json().rows
    assert.deepEqual(rows, [
      { t: B0 - 300_000, ...zero, kp: 2, scroll: 1 },
      { t: B0, ...zero, lc: 1, mm: 5 },
    ])

    const readOnly = new DaybookClient({ endpoint: { baseUrl }, token: 'read-key' })
    assert.deepEqual(await delivery.send(readOnly, entries), {
      accepted: 0,
      failure: { status: 403, message: 'token does not have permission for this endpoint' },
    })
    const wrong = new DaybookClient({ endpoint: { baseUrl }, token: 'nope' })
    assert.equal((await delivery.send(wrong, entries)).failure?.status, 401)
  })

  test('frames format: the raw key, one frame per bucket, de-duplicated by batch_id', async (t) => {
    const { baseUrl, token, call } = await listening(t)
    const config = resolveWatchConfig(
      ['--url', `${baseUrl}/frames`, `--key=${token}`, '--format', 'frames'],
      {},
    )
    const route = inputRoute(config, {}, clientConnector)
    assert.equal(route.name, `${baseUrl}/frames`)
    const entries = [entry('f1', 600_000, { rc: 1, mc: 2 }), entry('f2', 0, { kp: 9 })]
    assert.deepEqual(await sendVia(route, entries), { accepted: 2 })
    assert.deepEqual(await sendVia(route, entries), { accepted: 2 })
    assert.deepEqual(
      (await call({ url: '/activity/summary' }))
        .json()
        .rows.map((r: { kp: number; mc: number }) => [r.kp, r.mc]),
      [
        [0, 2],
        [9, 0],
      ],
    )
    const bad = inputRoute({ ...config, key: 'wrong' }, {}, clientConnector)
    assert.deepEqual(await sendVia(bad, entries), {
      accepted: 0,
      failure: { status: 401, message: 'unauthorized' },
    })
  })

  test('any status but 2xx is a failure, with what the server said; no server is a failure too', async (t) => {
    const answers = [
      [500, '<html>Internal Server Error</html>'],
      [302, ''],
      [200, '{"message":"ok"}'],
    ] as const
    let i = 0
    const server = http.createServer((req, res) => {
      req.resume()
      const [status, body] = answers[i++ % answers.length] ?? [500, '']
      res.writeHead(status).end(body)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.after(() => server.close())
    const { port } = server.address() as AddressInfo
    const route = inputRoute(
      resolveWatchConfig(
        ['--url', `http://127.0.0.1:${port}`, '--format', 'frames', '--key', 'k'],
        {},
      ),
      {},
      clientConnector,
    )
    const one = [entry('x', 0, { kp: 1 })]
    assert.deepEqual(await sendVia(route, one), {
      accepted: 0,
      failure: { status: 500, message: '<html>Internal Server Error</html>' },
    })
    assert.deepEqual(await sendVia(route, one), {
      accepted: 0,
      failure: { status: 302, message: 'no body' },
    })
    assert.deepEqual(await sendVia(route, one), { accepted: 1 })
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    const down = await sendVia(route, one)
    assert.equal(down.accepted, 0)
    assert.match(
      down.failure?.message ?? '',
      /cannot reach daybook at http:\/\/127\.0\.0\.1:\d+: ECONN(REFUSED|RESET)/,
    )
  })

  test('the local daemon is looked up at each send: none running is a failure, not a crash', async (t) => {
    const config = resolveWatchConfig(['--data-dir', '/nonexistent/daybook'], {})
    const route = inputRoute(config, {}, clientConnector)
    const logs: string[] = []
    const outbox = new Outbox<InputItem>(path.join(tempDir(t), 'input.json'), (l) => logs.push(l))
    outbox.put([['x', entry('x', 0, { kp: 1 })]])
    const courier = new Courier<InputItem>({
      outbox,
      delivery: route.delivery,
      client: route.client,
      target: route.name,
      what: 'input counts',
      unit: 'bucket',
      clock: Date.now,
      log: (l) => logs.push(l),
    })
    await courier.flush()
    assert.equal(courier.failures, 1)
    assert.equal(outbox.size, 1, 'kept for the next attempt')
    assert.match(logs.at(-1) ?? '', /no daybook daemon is running for \/nonexistent\/daybook/)
    t.diagnostic(logs.at(-1) ?? '')
  })
})

describe('daybook watch input: hook events and flags', () => {
  test('hook events: key presses, left/right/middle presses, motion and drags, scroll steps', () => {
    assert.deepEqual(classify({ type: 4 }), ['kp', 1])
    assert.equal(classify({ type: 5 }), undefined, 'key release')
    assert.deepEqual(classify({ type: 7, button: 1 }), ['lc', 1])
    assert.deepEqual(classify({ type: 7, button: 2 }), ['rc', 1])
    assert.deepEqual(classify({ type: 7, button: 3 }), ['mc', 1])
    assert.equal(classify({ type: 7, button: 4 }), undefined)
    assert.equal(
      classify({ type: 6, button: 1 }),
      undefined,
      'click = press + release, not counted twice',
    )
    assert.equal(classify({ type: 8, button: 1 }), undefined, 'release')
    assert.deepEqual(classify({ type: 9 }), ['mm', 1])
    assert.deepEqual(classify({ type: 10 }), ['mm', 1])
    assert.deepEqual(classify({ type: 11, rotation: -1 }), ['scroll', 1])
    assert.deepEqual(classify({ type: 11, rotation: 3 }), ['scroll', 3])
    assert.deepEqual(classify({ type: 11, rotation: 0 }), ['scroll', 1])
  })

  test('flags are validated with clear messages (exit 2)', async () => {
    for (const [args, message] of [
      [['--sample-ms', '0'], /--sample-ms must be a whole number from 10 to 60000/],
      [['--flush-sec', 'x'], /--flush-sec must be a whole number from 1 to 3600/],
      [['--format', 'xml'], /--format must be daybook or frames/],
      [['--url', 'ftp://x'], /--url must be an http or https URL/],
      [['--url', 'not a url'], /--url must be an http or https URL/],
      [['--bogus'], /bogus/],
    ] as const) {
      assert.throws(() => resolveWatchConfig([...args], {}), { message, exitCode: 2 })
    }
    const d = resolveWatchConfig([], { DAYBOOK_DATA_DIR: '/tmp/dd' })
    assert.deepEqual(
      [d.sampleMs, d.flushMs, d.format, d.dataDir],
      [1000, 30_000, 'daybook', '/tmp/dd'],
    )
    const none = await runCli(['watch', '--no-window', '--no-afk', '--no-input'])
    assert.equal(none.code, 2)
    assert.match(none.stderr, /every watcher is turned off; nothing to do/)
    const unknown = await runCli(['watch', 'screen'])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /unknown watcher "screen"; known: window, afk, input/)
    const help = await runCli(['watch', 'input', '--help'])
    assert.equal(help.code, 0)
    for (const word of [
      '--sample-ms',
      '--flush-sec',
      '--data-dir',
      '--config-dir',
      '--url',
      '--key',
      '--format',
      'spool',
      'SIGTERM',
    ]) {
      assert.ok(help.stdout.includes(word), word)
    }
  })

  test('without an X display it stops with one clear line, not a crash or a hang', async (t) => {
    const dir = (await import('../helpers.ts')).tempDir(t)
    for (const DISPLAY of ['', ':93']) {
      const r = await runCli(['watch', 'input', '--data-dir', dir], { DISPLAY })
      assert.equal(r.code, 1, r.stderr)
      assert.match(
        r.stderr,
        DISPLAY === ''
          ? /cannot watch input: DISPLAY is not set/
          : /cannot watch input: no X server answers at DISPLAY=:93/,
      )
    }
  })
})

test('the key comes from --key-file, else DAYBOOK_KEY, else --key; a bad file is one line', (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'key')
  writeFileSync(file, 'from-the-file\n', { mode: 0o600 })
  const base = ['--data-dir', dir, '--config-dir', dir]
  const key = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
    resolveWatchConfig([...base, ...argv], env).key
  assert.equal(key(['--key-file', file, '--key', 'flag'], { DAYBOOK_KEY: 'env' }), 'from-the-file')
  assert.equal(key(['--key', 'flag'], { DAYBOOK_KEY: 'env' }), 'env')
  assert.equal(key(['--key', 'flag']), 'flag')
  assert.equal(key([]), undefined)
  assert.throws(() => key(['--key-file', path.join(dir, 'missing')]), {
    message: `cannot read --key-file ${path.join(dir, 'missing')}: ENOENT`,
  })
  writeFileSync(file, '\n')
  assert.throws(() => key(['--key-file', file]), { message: `--key-file ${file} is empty` })
  assert.equal(resolveWatchConfig([...base, '--verbose'], {}).verbose, true)
})
