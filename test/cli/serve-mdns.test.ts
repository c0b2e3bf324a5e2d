/**
 * `daybook serve --mdns`: a real daemon advertises `_daybook._tcp` on the network, a real DNS-SD
 * browser finds it with its port and TXT records, and it is withdrawn when the daemon stops.
 */
import assert from 'node:assert/strict'
import dgram from 'node:dgram'
import { test } from 'node:test'
import { Bonjour, type Service } from 'bonjour-service'
import { DAYBOOK_VERSION, PROTOCOL_VERSION } from '../../src/version.ts'
import { startDaemon } from '../daemon.ts'

const MDNS_GROUP = '224.0.0.251'

/**
 * Why multicast DNS cannot work on this machine, or undefined when it can: a datagram sent to the
 * mDNS group comes back to this process. No multicast route (a container without one) or no
 * multicast-capable interface is an error from the socket, not a wait that runs out.
 */
async function multicastUnavailable(): Promise<string | undefined> {
  const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true })
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(0, resolve)
    })
    socket.addMembership(MDNS_GROUP)
    socket.setMulticastLoopback(true)
    const probe = Buffer.from(`daybook-probe-${process.pid}`)
    return await new Promise<string | undefined>((resolve) => {
      socket.on('message', (msg) => {
        if (msg.equals(probe)) resolve(undefined)
      })
      socket.send(probe, socket.address().port, MDNS_GROUP, (err) => {
        if (err) resolve(`sending to ${MDNS_GROUP}: ${err.message}`)
      })
    })
  } catch (err) {
    return (err as Error).message
  } finally {
    socket.close()
  }
}

test('--mdns advertises _daybook._tcp with version and API path, withdrawn at exit', async (t) => {
  const unavailable = await multicastUnavailable()
  if (unavailable !== undefined) {
    t.skip(`multicast DNS cannot work on this machine (${unavailable})`)
    return
  }
  const daemon = await startDaemon(t, ['--mdns'])
  const browser = new Bonjour({}, () => undefined)
  t.after(() => browser.destroy())
  const found = await new Promise<{ service: Service; find: ReturnType<Bonjour['find']> }>(
    (resolve) => {
      const find = browser.find({ type: 'daybook' }, (service) => {
        if (service.port === daemon.discovery.port) resolve({ service, find })
      })
    },
  )
  assert.equal(found.service.protocol, 'tcp')
  assert.match(found.service.name, /^Daybook on /)
  assert.deepEqual(found.service.txt, {
    version: DAYBOOK_VERSION,
    api: '/v1',
    protocol: String(PROTOCOL_VERSION),
  })

  const down = new Promise<Service>((resolve) =>
    found.find.on('down', (s) => {
      if (s.port === daemon.discovery.port) resolve(s)
    }),
  )
  daemon.child.kill('SIGTERM')
  assert.equal(await daemon.exited, 0)
  assert.equal((await down).name, found.service.name)
})
