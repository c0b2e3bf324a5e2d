/**
 * Connections held open by a local process without a token, requests sent slowly, an empty Host
 * header and failed authentications across listeners, against a real `daybook serve` process.
 */
import assert from 'node:assert/strict'
import net from 'node:net'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { awPort, request, startDaemon } from '../daemon.ts'

interface Exchange {
  status: number
  body: string
}

/**
 * Opens a connection from `localAddress` and sends nothing. Resolves once connected; `closed`
 * tells whether the daemon has closed it since.
 */
async function idleSocket(
  port: number,
  localAddress: string,
  sockets: net.Socket[],
): Promise<{ socket: net.Socket; closed: () => boolean }> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress })
  sockets.push(socket)
  let closed = false
  socket.on('close', () => (closed = true))
  socket.on('error', () => undefined)
  await new Promise<void>((resolve) => {
    socket.once('connect', resolve)
    socket.once('close', resolve)
  })
  return { socket, closed: () => closed }
}

/**
 * One request on a new connection from `localAddress`: its status and body, or status 0 when
 * the daemon closed the connection without an answer.
 */
function exchange(
  port: number,
  localAddress: string,
  path: string,
  token?: string,
): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress }, () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: localhost\r\n` +
          (token === undefined ? '' : `Authorization: Bearer ${token}\r\n`) +
          'Connection: close\r\n\r\n',
      )
    })
    let text = ''
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      const status = Number(text.slice(9, 12)) || 0
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) })
    })
  })
}

function closeAll(sockets: net.Socket[]): void {
  for (const s of sockets.splice(0)) s.destroy()
}

test('64 idle connections from 127.0.0.1 do not lock out a request with a valid token', async (t) => {
  const d = await startDaemon(t, ['--socket'])
  const port = d.discovery.port ?? 0
  const sockets: net.Socket[] = []
  t.after(() => closeAll(sockets))
  const idle = []
  for (let i = 0; i < 64; i++) idle.push(await idleSocket(port, '127.0.0.1', sockets))
  assert.ok(
    idle.every((s) => !s.closed()),
    'the 64 are within the cap',
  )
  const withToken = await exchange(port, '127.0.0.1', '/v1/apps', d.token)
  assert.equal(withToken.status, 200, withToken.body)
  // Without a token, the reserve refuses it in words (until an idle one has had its grace).
  const without = await exchange(port, '127.0.0.1', '/healthz')
  assert.ok(without.status === 503 || without.status === 200, `status ${without.status}`)
  if (without.status === 503) assert.equal(JSON.parse(without.body).code, 'connection_slots_full')
  // The Unix socket needs no slot.
  const socketPath = d.discovery.socket ?? ''
  assert.equal((await request({ socketPath }, { path: '/healthz' })).status, 200)
})

test('idle connections spread over many addresses lock out no one with a token; unproven ones close first', async (t) => {
  const d = await startDaemon(t, [], {
    env: { DAYBOOK_MAX_CONNECTIONS: '16', DAYBOOK_MAX_CONNECTIONS_PER_ADDRESS: '4' },
  })
  const port = d.discovery.port ?? 0
  const sockets: net.Socket[] = []
  t.after(() => closeAll(sockets))
  // 4 from each of 127.0.0.2-9: twice the total, every address at its own cap.
  const idle = []
  for (let a = 2; a <= 9; a++) {
    for (let i = 0; i < 4; i++) idle.push(await idleSocket(port, `127.0.0.${a}`, sockets))
  }
  for (const from of ['127.0.0.1', '127.0.0.2', '127.0.0.9']) {
    const res = await exchange(port, from, '/v1/apps', d.token)
    assert.equal(res.status, 200, `${from}: ${res.body}`)
  }
  // Without a token: refused in words while every idle one is within its grace, then let in once
  // one that never sent a request has been closed to make room.
  let res: Exchange
  for (;;) {
    res = await exchange(port, '127.0.0.1', '/healthz')
    if (res.status !== 503) break
    assert.equal(JSON.parse(res.body).code, 'connection_slots_full')
    await sleep(200)
  }
  assert.equal(res.status, 200)
  // The first 16 took the ordinary slots (the others came in from the reserve, and made room
  // there for each other): one of them was closed for it.
  assert.ok(
    idle.slice(0, 16).some((s) => s.closed()),
    'an idle connection that never sent a request was closed for it',
  )
})

test('an idle keep-alive connection is closed before a busy one, and one with a token in flight never', async (t) => {
  const d = await startDaemon(t, [], {
    env: { DAYBOOK_MAX_CONNECTIONS: '4', DAYBOOK_MAX_CONNECTIONS_PER_ADDRESS: '2' },
  })
  const port = d.discovery.port ?? 0
  const sockets: net.Socket[] = []
  t.after(() => closeAll(sockets))
  // A keep-alive connection that asked one thing and went quiet.
  const kept = await idleSocket(port, '127.0.0.1', sockets)
  const answered = new Promise<void>((resolve) => kept.socket.once('data', () => resolve()))
  kept.socket.write(
    `GET /v1/apps HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${d.token}\r\n\r\n`,
  )
  await answered
  // A fresh one beside it fills the address's two slots.
  const fresh = await idleSocket(port, '127.0.0.1', sockets)
  const res = await exchange(port, '127.0.0.1', '/healthz')
  assert.equal(res.status, 200, 'the idle keep-alive connection made room')
  assert.equal(kept.closed(), true)
  assert.equal(fresh.closed(), false, 'the connection within its grace is kept')
})

test('headers sent slowly are cut off at the headers limit, a slow body at the request limit, on both listeners', async (t) => {
  const d = await startDaemon(t, ['--aw', '--aw-port', '0'], {
    env: { DAYBOOK_HEADERS_TIMEOUT_SEC: '2', DAYBOOK_REQUEST_TIMEOUT_SEC: '4' },
  })
  const aw = await awPort(d)

  /**
   * Sends `head` then one more piece every 250 ms until the daemon closes the connection (or
   * 80 pieces, 20 s, ten times the headers limit, have gone). Resolves to what the daemon said,
   * the pieces sent and the time from the first byte to the close.
   */
  const drip = (port: number, head: string, piece: (i: number) => string) =>
    new Promise<{ status: string; pieces: number; ms: number }>((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      let pieces = 0
      let answer = ''
      let started = 0
      let timer: NodeJS.Timeout | undefined
      socket.on('connect', () => {
        started = performance.now()
        socket.write(head)
        timer = setInterval(() => {
          if (pieces >= 80) {
            clearInterval(timer)
            socket.destroy()
            return
          }
          pieces++
          socket.write(piece(pieces))
        }, 250)
      })
      socket.on('data', (b: Buffer) => (answer += b.toString('latin1')))
      socket.on('error', () => undefined)
      socket.on('close', () => {
        clearInterval(timer)
        resolve({ status: answer.slice(9, 12), pieces, ms: performance.now() - started })
      })
    })

  const listeners = [
    {
      port: d.discovery.port ?? 0,
      post: `/v1/events`,
      auth: `Authorization: Bearer ${d.token}\r\n`,
    },
    { port: aw, post: '/api/0/buckets/x/heartbeat?pulsetime=1', auth: '' },
  ]
  for (const { port, post, auth } of listeners) {
    const headers = await drip(
      port,
      'GET /healthz HTTP/1.1\r\nHost: localhost\r\n',
      (i) => `X-Drip-${i}: ${i}\r\n`,
    )
    assert.equal(headers.status, '408', `port ${port}: headers never finished, cut at the limit`)
    assert.ok(headers.ms >= 1950, `not before the limit (${headers.ms} ms)`)
    assert.ok(headers.pieces < 80, 'closed by the daemon, not by the test')

    const body = await drip(
      port,
      `POST ${post} HTTP/1.1\r\nHost: localhost\r\n${auth}` +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
      () => ' ',
    )
    assert.equal(body.status, '408', `port ${port}: a body that never finishes`)
    assert.ok(body.ms >= 3900, `not before the request limit (${body.ms} ms)`)
    assert.ok(body.pieces < 80, 'closed by the daemon, not by the test')
  }
})

test('an empty Host header is refused like a missing one, on every listener and bind', async (t) => {
  const loopback = await startDaemon(t, ['--aw', '--aw-port', '0', '--socket'])
  const open = await startDaemon(t, ['--host', '0.0.0.0'])
  const aw = await awPort(loopback)
  const send = (target: net.NetConnectOpts, host: string) =>
    new Promise<string>((resolve) => {
      const socket = net.connect(target, () =>
        socket.write(`GET /healthz HTTP/1.1\r\n${host}Connection: close\r\n\r\n`),
      )
      let text = ''
      socket.on('data', (b: Buffer) => (text += b.toString('latin1')))
      socket.on('error', () => undefined)
      socket.on('close', () => resolve(text.slice(9, 12)))
    })
  const targets: [string, net.NetConnectOpts][] = [
    ['loopback', { port: loopback.discovery.port ?? 0, host: '127.0.0.1' }],
    ['ActivityWatch', { port: aw, host: '127.0.0.1' }],
    ['Unix socket', { path: loopback.discovery.socket ?? '' }],
    ['0.0.0.0 (no Host check)', { port: open.discovery.port ?? 0, host: '127.0.0.1' }],
  ]
  for (const [name, target] of targets) {
    for (const empty of ['Host:\r\n', 'Host: \r\n', 'Host:  \t\r\n']) {
      assert.equal(await send(target, empty), '400', `${name}: ${JSON.stringify(empty)}`)
    }
    assert.equal(await send(target, ''), '400', `${name}: no Host at all`)
  }
  // A good Host still passes on the open bind.
  assert.equal(
    await send({ port: open.discovery.port ?? 0, host: '127.0.0.1' }, 'Host: example.test\r\n'),
    '200',
  )
})

test('failed authentications are one budget per address across the API and ActivityWatch listeners', async (t) => {
  const d = await startDaemon(t, ['--aw', '--aw-port', '0'])
  const port = d.discovery.port ?? 0
  const aw = await awPort(d)
  const wrong = { authorization: 'Bearer sk-wrong-guess' }
  // Ten guesses on each listener: twenty in all, the limit.
  for (let i = 0; i < 10; i++) {
    assert.equal((await request({ port }, { path: '/v1/apps', headers: wrong })).status, 401)
    assert.equal(
      (await request({ port: aw }, { path: '/api/0/export', headers: wrong })).status,
      401,
    )
  }
  // The next guess on either is refused by the shared budget.
  const main = await request({ port }, { path: '/v1/apps', headers: wrong })
  assert.equal(main.status, 429)
  assert.ok(Number(main.headers['retry-after']) > 0)
  const other = await request({ port: aw }, { path: '/api/0/export', headers: wrong })
  assert.equal(other.status, 429)
  // A valid token is never refused by it, on either listener.
  const bearer = { authorization: `Bearer ${d.token}` }
  assert.equal((await request({ port }, { path: '/v1/apps', headers: bearer })).status, 200)
  assert.equal(
    (await request({ port: aw }, { path: '/api/0/export', headers: bearer })).status,
    200,
  )
})
