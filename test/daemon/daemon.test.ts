/**
 * The daemon in-process: `startDaemon(config)` from `src/daemon/` serves on real sockets and its
 * handle's `close()` takes everything down again; a start that fails leaves nothing behind.
 */
import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { type TestContext, test } from 'node:test'
import { resolveServeConfig } from '../../src/cli/serve.ts'
import { readDiscovery } from '../../src/config/discovery.ts'
import { startDaemon } from '../../src/daemon/daemon.ts'
import { StartError } from '../../src/daemon/start-error.ts'
import { request } from '../daemon.ts'
import { countRows, eventInput, tempDir } from '../helpers.ts'

/** A configuration for a daemon on a free port, in fresh dirs under `dir`. */
function configIn(dir: string) {
  return resolveServeConfig(
    [
      '--port',
      '0',
      '--data-dir',
      path.join(dir, 'data'),
      '--config-dir',
      path.join(dir, 'config'),
      '--log-level',
      'silent',
    ],
    {},
  )
}

/** True when a TCP connection to `port` on loopback is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

async function started(t: TestContext, config: ReturnType<typeof configIn>) {
  const warnings: string[] = []
  const daemon = await startDaemon(config, { warn: (line) => warnings.push(line) })
  t.after(() => daemon.close())
  return { daemon, warnings }
}

test('startDaemon serves in-process; close() takes it down and frees the data dir', async (t) => {
  const config = configIn(tempDir(t, 'dbk-in-'))
  const { daemon } = await started(t, config)
  const port = daemon.port ?? 0
  const discovery = readDiscovery(config.dataDir)
  assert.deepEqual(
    [discovery?.pid, discovery?.host, discovery?.port, discovery?.socket],
    [process.pid, '127.0.0.1', port, null],
  )
  assert.equal((await request({ port }, { path: '/readyz' })).status, 200)
  const token = readFileSync(path.join(config.configDir, 'auth.token'), 'utf8').trim()
  const post = await request(
    { port },
    {
      method: 'POST',
      path: '/v1/events',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify([eventInput()]),
    },
  )
  assert.equal(post.status, 200, post.body)
  // Where its start went, phase by phase, adding up to the whole.
  const status = await request(
    { port },
    { path: '/v1/status', headers: { authorization: `Bearer ${token}` } },
  )
  const startup = (JSON.parse(status.body) as { startup: Record<string, number> }).startup
  const { readyMs, ...phases } = startup
  assert.deepEqual(Object.keys(phases).sort(), [
    'apiMs',
    'attachMs',
    'loadMs',
    'migrateMs',
    'storeMs',
    'usersMs',
  ])
  for (const [phase, ms] of Object.entries(startup)) assert.ok(ms >= 0, `${phase} ${ms}`)
  const sum = Object.values(phases).reduce((a, b) => a + b, 0)
  assert.ok(Math.abs(sum - (readyMs ?? 0)) < 1, `${sum} ≈ ${readyMs}`)

  const closing = daemon.close()
  assert.equal(daemon.close(), closing, 'close() twice is one stop')
  await closing
  assert.equal(readDiscovery(config.dataDir), undefined, 'daemon.json is removed')
  assert.equal(await accepts(port), false, 'the listener is closed')
  // The store closed cleanly (its WAL folded back) with what it acknowledged.
  assert.equal(existsSync(`${config.dbPath}-wal`), false)
  assert.equal(countRows(config.dbPath, 'events'), 1)
  // The data dir is free for the next daemon.
  const { daemon: next } = await started(t, config)
  assert.equal((await request({ port: next.port ?? 0 }, { path: '/readyz' })).status, 200)
})

test('a second daemon on a held data dir is refused, naming the first', async (t) => {
  const config = configIn(tempDir(t, 'dbk-in-'))
  await started(t, config)
  await assert.rejects(
    startDaemon(config),
    (err) =>
      err instanceof StartError &&
      err.message ===
        `another daybook daemon is already running for ${config.dataDir} (pid ${process.pid}); ` +
          'stop it first, or use another --data-dir',
  )
})

test('a start that fails undoes what it began: no daemon.json, the data dir free', async (t) => {
  const blocker = net.createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  t.after(() => blocker.close())
  const taken = (blocker.address() as net.AddressInfo).port
  const config = { ...configIn(tempDir(t, 'dbk-in-')), port: taken }
  const failure = await startDaemon(config).then(
    () => assert.fail('started on a port in use'),
    (err: unknown) => err,
  )
  assert.ok(failure instanceof StartError)
  assert.equal(
    failure.message,
    `port ${taken} on 127.0.0.1 is already in use (another daybook? try --port 0)`,
  )
  assert.equal(readDiscovery(config.dataDir), undefined)
  // The data dir's lock was released and the store closed: the next start on it succeeds.
  const { daemon } = await started(t, { ...config, port: 0 })
  assert.equal((await request({ port: daemon.port ?? 0 }, { path: '/readyz' })).status, 200)
})

test("the daemon's warnings go to the caller", async (t) => {
  const dir = tempDir(t, 'dbk-in-')
  const config = configIn(dir)
  mkdirSync(config.dataDir, { mode: 0o700 })
  new DatabaseSync(config.dbPath).close()
  chmodSync(config.dbPath, 0o644)
  const { warnings } = await started(t, config)
  assert.deepEqual(warnings, [
    `${config.dbPath} was readable by other users (mode 0644); its mode is now 0600`,
  ])
})
