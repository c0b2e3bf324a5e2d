/**
 * `daybook serve --mdns`: a real daemon advertises `_daybook._tcp` on the network, a real DNS-SD
 * browser finds it with its port and TXT records, and it is withdrawn when the daemon stops.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Bonjour, type Service } from 'bonjour-service'
import { DAYBOOK_VERSION } from '../../src/version.ts'
import { startDaemon } from '../daemon.ts'

/**
 * Whether multicast reaches this process back (a container without a multicast route does not):
 * a throwaway service published and browsed for, given a few seconds to show up.
 */
async function multicastWorks(): Promise<boolean> {
  const publisher = new Bonjour({}, () => undefined)
  const browser = new Bonjour({}, () => undefined)
  const name = `daybook-probe-${process.pid}`
  publisher.publish({ name, type: 'daybook-probe', port: 9 })
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 5000)
      browser.find({ type: 'daybook-probe' }, (s) => {
        if (s.name === name) {
          clearTimeout(timer)
          resolve(true)
        }
      })
    })
  } finally {
    publisher.unpublishAll(() => publisher.destroy())
    browser.destroy()
  }
}

test('--mdns advertises _daybook._tcp with version and API path, withdrawn at exit', async (t) => {
  if (!(await multicastWorks())) {
    t.skip('multicast DNS does not loop back on this machine (no multicast route)')
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
  assert.deepEqual(found.service.txt, { version: DAYBOOK_VERSION, api: '/v1', protocol: '1' })

  const down = new Promise<Service>((resolve) =>
    found.find.on('down', (s) => {
      if (s.port === daemon.discovery.port) resolve(s)
    }),
  )
  daemon.child.kill('SIGTERM')
  assert.equal(await daemon.exited, 0)
  assert.equal((await down).name, found.service.name)
})
