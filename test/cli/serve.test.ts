import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { resolveServeConfig } from '../../src/cli/serve.ts'
import { LATEST_VERSION } from '../../src/store/sqlite/migrations.ts'
import { request, runCli, startDaemon } from '../daemon.ts'
import { countRows, eventInput, tempDir } from '../helpers.ts'

const mode = (file: string) => statSync(file).mode & 0o777

describe('daybook serve', () => {
  test('starts on a free port, writes daemon.json, and stops cleanly on SIGTERM', async (t) => {
    const d = await startDaemon(t)
    assert.equal(d.discovery.pid, d.child.pid)
    assert.equal(d.discovery.host, '127.0.0.1')
    assert.ok(typeof d.discovery.port === 'number' && d.discovery.port > 0)
    assert.equal(d.discovery.socket, null)
    assert.match(d.discovery.version, /^\d+\.\d+\.\d+/)
    assert.ok(!Number.isNaN(Date.parse(d.discovery.startedAt)))
    const port = d.discovery.port
    assert.deepEqual(JSON.parse((await request({ port }, { path: '/readyz' })).body), {
      ok: true,
      ready: true,
    })
    const denied = await request({ port }, { path: '/v1/apps' })
    assert.equal(denied.status, 401)
    const post = await request(
      { port },
      {
        method: 'POST',
        path: '/events',
        headers: { authorization: `Bearer ${d.token}` },
        body: JSON.stringify([eventInput()]),
      },
    )
    assert.deepEqual(JSON.parse(post.body), { inserted: 1, duplicates: 0, updated: 0 })

    d.child.kill('SIGTERM')
    assert.equal(await d.exited, 0)
    assert.equal(existsSync(path.join(d.dataDir, 'daemon.json')), false)
    // The database was closed cleanly: its WAL folded back and removed.
    assert.equal(existsSync(path.join(d.dataDir, 'daybook.db-wal')), false)
    assert.equal(countRows(path.join(d.dataDir, 'daybook.db'), 'events'), 1)
  })

  test('the default token is created 0600 in a 0700 dir, and reused on the next start', async (t) => {
    const d = await startDaemon(t)
    const file = path.join(d.configDir, 'auth.token')
    assert.equal(mode(file), 0o600)
    assert.equal(mode(d.configDir), 0o700)
    assert.match(d.token, /^[A-Za-z0-9_-]{43}$/) // 32 bytes, base64url, no padding
    assert.equal(mode(d.dataDir), 0o700)
    d.child.kill('SIGINT')
    assert.equal(await d.exited, 0)
    const again = await startDaemon(t, [], { dataDir: d.dataDir, configDir: d.configDir })
    assert.equal(again.token, d.token)
  })

  test('DAYBOOK_TOKEN replaces the token file', async (t) => {
    const d = await startDaemon(t, [], { env: { DAYBOOK_TOKEN: 'from-the-environment' } })
    const port = d.discovery.port ?? 0
    const ok = await request(
      { port },
      { path: '/apps', headers: { authorization: 'Bearer from-the-environment' } },
    )
    assert.equal(ok.status, 200)
    assert.equal(existsSync(path.join(d.configDir, 'auth.token')), false)
  })

  test('refuses a token file that others can read', async (t) => {
    const dir = tempDir(t)
    mkdirSync(path.join(dir, 'config'), { mode: 0o700 })
    writeFileSync(path.join(dir, 'config', 'auth.token'), 'leaked-secret\n', { mode: 0o644 })
    chmodSync(path.join(dir, 'config', 'auth.token'), 0o644)
    const r = await runCli([
      'serve',
      '--port',
      '0',
      '--data-dir',
      path.join(dir, 'data'),
      '--config-dir',
      path.join(dir, 'config'),
    ])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /readable by other users; run: chmod 600/)
  })

  test('--socket serves the same app on a Unix socket: dir 0700, socket 0600, removed at exit', async (t) => {
    const d = await startDaemon(t, ['--socket'])
    const socketPath = path.join(d.dataDir, 'run', 'daybook.sock')
    assert.equal(d.discovery.socket, socketPath)
    assert.ok(statSync(socketPath).isSocket())
    assert.equal(mode(socketPath), 0o600)
    assert.equal(mode(path.dirname(socketPath)), 0o700)
    const auth = { authorization: `Bearer ${d.token}` }
    await request(
      { socketPath },
      { method: 'POST', path: '/v1/events', headers: auth, body: JSON.stringify([eventInput()]) },
    )
    // Both listeners reach the same store.
    const viaTcp = await request(
      { port: d.discovery.port ?? 0 },
      { path: '/v1/apps', headers: auth },
    )
    assert.deepEqual(
      JSON.parse(viaTcp.body).map((a: { name: string }) => a.name),
      ['Code'],
    )
    d.child.kill('SIGINT')
    assert.equal(await d.exited, 0)
    assert.equal(existsSync(socketPath), false)
  })

  test('--no-tcp serves the socket alone', async (t) => {
    const dir = tempDir(t, 'dbk-')
    const socketPath = path.join(dir, 's.sock')
    const d = await startDaemon(t, ['--no-tcp', '--socket', socketPath])
    assert.equal(d.discovery.port, null)
    assert.equal(d.discovery.host, null)
    const res = await request({ socketPath }, { path: '/health' })
    assert.deepEqual(JSON.parse(res.body), { status: 'ok' })
  })

  test('a stale socket file is replaced; a live one is refused with a clear message', async (t) => {
    const dir = tempDir(t, 'dbk-')
    const socketPath = path.join(dir, 'daybook.sock')
    // A process that dies without cleaning up leaves a socket file nobody listens on.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    await new Promise((resolve) => holder.stdout.once('data', resolve))
    holder.kill('SIGKILL')
    await new Promise((resolve) => holder.on('exit', resolve))
    assert.ok(statSync(socketPath).isSocket())

    const d = await startDaemon(t, ['--socket', socketPath])
    assert.equal((await request({ socketPath }, { path: '/healthz' })).status, 200)

    const other = tempDir(t, 'dbk-')
    const second = await runCli([
      'serve',
      '--port',
      '0',
      '--data-dir',
      other,
      '--config-dir',
      other,
      '--socket',
      socketPath,
    ])
    assert.equal(second.code, 1)
    assert.equal(
      second.stderr.trim(),
      `daybook serve: another daemon is already listening on ${socketPath}`,
    )
    assert.equal(
      (await request({ socketPath }, { path: '/healthz' })).status,
      200,
      'the first daemon is unharmed',
    )
    d.child.kill('SIGTERM')
    assert.equal(await d.exited, 0)
  })

  test('a second daemon on the same data dir is refused; the first keeps serving and its daemon.json', async (t) => {
    const d = await startDaemon(t)
    const discovery = path.join(d.dataDir, 'daemon.json')
    const before = readFileSync(discovery, 'utf8')
    const second = await runCli([
      'serve',
      '--port',
      '0',
      '--data-dir',
      d.dataDir,
      '--config-dir',
      d.configDir,
    ])
    assert.equal(second.code, 1)
    assert.equal(
      second.stderr.trim(),
      `daybook serve: another daybook daemon is already running for ${d.dataDir} ` +
        `(pid ${d.discovery.pid}); stop it first, or use another --data-dir`,
    )
    assert.equal(readFileSync(discovery, 'utf8'), before)
    const port = d.discovery.port ?? 0
    assert.equal((await request({ port }, { path: '/healthz' })).status, 200)
    // Once the first has stopped, the data dir is free again; a killed daemon frees it too.
    d.child.kill('SIGTERM')
    assert.equal(await d.exited, 0)
    const next = await startDaemon(t, [], { dataDir: d.dataDir, configDir: d.configDir })
    next.child.kill('SIGKILL')
    await next.exited
    const after = await startDaemon(t, [], { dataDir: d.dataDir, configDir: d.configDir })
    assert.equal(
      (await request({ port: after.discovery.port ?? 0 }, { path: '/healthz' })).status,
      200,
    )
  })

  test('a database readable by others is made 0600, with its WAL, and the change is said', async (t) => {
    const dir = tempDir(t, 'dbk-')
    const data = path.join(dir, 'data')
    mkdirSync(data, { mode: 0o700 })
    const file = path.join(data, 'daybook.db')
    new DatabaseSync(file).close()
    chmodSync(file, 0o644)
    writeFileSync(`${file}-wal`, '')
    chmodSync(`${file}-wal`, 0o644)
    const d = await startDaemon(t, [], { dataDir: data, configDir: path.join(dir, 'config') })
    assert.equal(mode(file), 0o600)
    assert.equal(mode(`${file}-wal`), 0o600)
    assert.match(
      d.stderr(),
      new RegExp(`${file} was readable by other users \\(mode 0644\\); its mode is now 0600`),
    )
  })

  test('a data dir that is a file: one clear line', async (t) => {
    const dir = tempDir(t, 'dbk-')
    const file = path.join(dir, 'not-a-dir')
    writeFileSync(file, '')
    const r = await runCli(['serve', '--port', '0', '--data-dir', file, '--config-dir', dir])
    assert.equal(r.code, 1)
    assert.equal(
      r.stderr.trim(),
      `daybook serve: the data dir ${file} is a file, not a directory (see --data-dir)`,
    )
  })

  test('a port already taken: one clear line, non-zero exit, no stack trace', async (t) => {
    const blocker = net.createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    t.after(() => blocker.close())
    const port = (blocker.address() as net.AddressInfo).port
    const dir = tempDir(t)
    const r = await runCli([
      'serve',
      '--port',
      String(port),
      '--data-dir',
      dir,
      '--config-dir',
      dir,
    ])
    assert.equal(r.code, 1)
    assert.equal(
      r.stderr.trim(),
      `daybook serve: port ${port} on 127.0.0.1 is already in use (another daybook? try --port 0)`,
    )
  })

  test('an unwritable data dir: one clear line, non-zero exit', async (t) => {
    const dir = tempDir(t)
    writeFileSync(path.join(dir, 'a-file'), '')
    const underFile = path.join(dir, 'a-file', 'data')
    const r = await runCli(['serve', '--port', '0', '--data-dir', underFile, '--config-dir', dir])
    assert.equal(r.code, 1)
    assert.equal(
      r.stderr.trim(),
      `daybook serve: cannot use data dir ${underFile}: a path component is not a directory`,
    )
  })

  test('a read-only data dir: one clear line, non-zero exit', async (t) => {
    if (process.getuid?.() === 0) {
      t.skip('running as root, which may write anywhere: mode bits cannot make a dir unwritable')
      return
    }
    const dir = tempDir(t)
    const data = path.join(dir, 'data')
    mkdirSync(data, { mode: 0o500 })
    const r = await runCli(['serve', '--port', '0', '--data-dir', data, '--config-dir', dir])
    assert.equal(r.code, 1)
    assert.equal(r.stderr.trim(), `daybook serve: cannot use data dir ${data}: permission denied`)
  })

  test('a database from a newer schema: one clear line, non-zero exit, file untouched', async (t) => {
    const dir = tempDir(t)
    const db = new DatabaseSync(path.join(dir, 'daybook.db'))
    db.exec(`PRAGMA user_version = ${LATEST_VERSION + 5}`)
    db.close()
    chmodSync(path.join(dir, 'daybook.db'), 0o600)
    const r = await runCli(['serve', '--port', '0', '--data-dir', dir, '--config-dir', dir])
    assert.equal(r.code, 1, r.stderr)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(
      r.stderr,
      new RegExp(
        `schema version ${LATEST_VERSION + 5}, but this daybook only knows up to ${LATEST_VERSION}; upgrade daybook`,
      ),
    )
    assert.equal(existsSync(path.join(dir, 'daemon.json')), false)
  })

  test('SIGTERM lets an in-flight request finish before the store closes', async (t) => {
    const d = await startDaemon(t)
    const payload = JSON.stringify(
      Array.from({ length: 200 }, (_, i) => eventInput({ entity_name: `f${i}` })),
    )
    const split = Math.floor(payload.length / 2)
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: d.discovery.port ?? 0,
          method: 'POST',
          path: '/events',
          headers: {
            authorization: `Bearer ${d.token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            // The server's "100 Continue" tells the request is under way on its side before the
            // signal is sent, whatever the machine's load.
            expect: '100-continue',
          },
          agent: false,
        },
        (res) => {
          let body = ''
          res.on('data', (c: Buffer) => (body += c.toString()))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
        },
      )
      req.on('error', reject)
      req.on('continue', () => {
        // The request is half-sent when the signal arrives; the rest follows as shutdown begins.
        req.write(payload.slice(0, split))
        d.child.kill('SIGTERM')
        setTimeout(() => req.end(payload.slice(split)), 300)
      })
      req.flushHeaders()
    })
    const res = await response
    assert.equal(res.status, 200, res.body)
    assert.deepEqual(JSON.parse(res.body), { inserted: 200, duplicates: 0, updated: 0 })
    assert.equal(await d.exited, 0)
    assert.equal(countRows(path.join(d.dataDir, 'daybook.db'), 'events'), 200)
  })

  test('after SIGTERM no new connection is accepted, while an in-flight request still runs', async (t) => {
    const d = await startDaemon(t)
    const port = d.discovery.port ?? 0
    const payload = JSON.stringify([eventInput()])
    // A request under way: the server's 100 Continue says it has the headers. Its body is held
    // back until the listener is seen closed, so the daemon cannot have finished stopping by then.
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/events',
      headers: {
        authorization: `Bearer ${d.token}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        expect: '100-continue',
      },
      agent: false,
    })
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('error', reject)
      req.on('response', (res) => {
        let body = ''
        res.on('data', (c: Buffer) => (body += c.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
    })
    const continued = new Promise((resolve) => req.once('continue', resolve))
    req.flushHeaders()
    await continued
    d.child.kill('SIGTERM')

    // New connections are tried until one is refused: the daemon must still be running then.
    const accepted = () =>
      new Promise<boolean>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1')
        socket.once('connect', () => {
          socket.destroy()
          resolve(true)
        })
        socket.once('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'ECONNREFUSED') resolve(false)
          else reject(err)
        })
      })
    while (await accepted()) await sleep(10)
    assert.equal(d.child.exitCode, null, 'refused while the daemon still had a request to finish')

    req.end(payload)
    const res = await response
    assert.equal(res.status, 200, res.body)
    assert.deepEqual(JSON.parse(res.body), { inserted: 1, duplicates: 0, updated: 0 })
    assert.equal(await d.exited, 0)
    assert.equal(countRows(path.join(d.dataDir, 'daybook.db'), 'events'), 1)
  })
})

describe('configuration and help', () => {
  test('flags win over environment variables, which win over defaults', () => {
    const env = {
      DAYBOOK_HOST: '127.0.0.2',
      DAYBOOK_PORT: '7000',
      DAYBOOK_DATA_DIR: '/tmp/env-data',
      DAYBOOK_SOCKET: '/tmp/env.sock',
      XDG_CONFIG_HOME: '/tmp/xdg-config',
    }
    const fromEnv = resolveServeConfig([], env)
    assert.equal(fromEnv.host, '127.0.0.2')
    assert.equal(fromEnv.port, 7000)
    assert.equal(fromEnv.dataDir, '/tmp/env-data')
    assert.equal(fromEnv.socket, '/tmp/env.sock')
    assert.equal(fromEnv.configDir, '/tmp/xdg-config/daybook')
    const fromFlags = resolveServeConfig(
      ['--host', '::1', '--port', '0', '--data-dir', '/tmp/flag-data', '--socket'],
      env,
    )
    assert.deepEqual(
      [fromFlags.host, fromFlags.port, fromFlags.dataDir],
      ['::1', 0, '/tmp/flag-data'],
    )
    assert.equal(fromFlags.socket, '/tmp/flag-data/run/daybook.sock')
    const defaults = resolveServeConfig([], { XDG_DATA_HOME: '/tmp/xdg-data' })
    assert.deepEqual(
      [defaults.host, defaults.port, defaults.tcp, defaults.socket],
      ['127.0.0.1', 5610, true, undefined],
    )
    assert.equal(defaults.dataDir, '/tmp/xdg-data/daybook')
    assert.equal(
      resolveServeConfig(['--no-tcp'], {}).socket?.endsWith(path.join('run', 'daybook.sock')),
      true,
    )
  })

  test('a bad port or unknown flag exits 2 with a message', async () => {
    const bad = await runCli(['serve', '--port', 'eighty'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--port must be a port number/)
    const unknown = await runCli(['serve', '--frobnicate'])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /frobnicate/)
  })

  test('--help texts name every flag and variable', async () => {
    const top = await runCli(['--help'])
    assert.equal(top.code, 0)
    for (const word of ['serve', 'migrate']) assert.ok(top.stdout.includes(word), word)
    const serve = await runCli(['serve', '--help'])
    assert.equal(serve.code, 0)
    for (const word of [
      '--host',
      '--port',
      '--data-dir',
      '--config-dir',
      '--socket',
      '--no-tcp',
      'DAYBOOK_HOST',
      'DAYBOOK_PORT',
      'DAYBOOK_DATA_DIR',
      'DAYBOOK_SOCKET',
      'DAYBOOK_TOKEN',
      '--db-path',
      'DAYBOOK_DB_PATH',
      'ACTIVITY_DB_PATH',
      'SERVER_API_KEY',
      'HOST]',
      'PORT]',
      'GET_RATE_LIMIT_MAX_REQUESTS',
      'GET_RATE_LIMIT_WINDOW_SEC',
      'DAYBOOK_PUBLIC_ACTIVITY_SUMMARY',
      'inputRetentionDays',
      'daemon.json',
      'SIGTERM',
    ]) {
      assert.ok(serve.stdout.includes(word), word)
    }
  })
})

describe('daybook migrate', () => {
  test('migrates a fresh data dir and reports status', async (t) => {
    const dir = tempDir(t)
    const status = await runCli(['migrate', '--data-dir', dir, '--status'])
    assert.equal(status.code, 0)
    assert.match(status.stdout, new RegExp(`schema version 0 of ${LATEST_VERSION}`))
    const run = await runCli(['migrate', '--data-dir', dir])
    assert.equal(run.code, 0)
    assert.match(run.stdout, new RegExp(`migrated from version 0 to ${LATEST_VERSION}`))
    const again = await runCli(['migrate', '--data-dir', dir])
    assert.match(again.stdout, /up to date/)
  })
})
