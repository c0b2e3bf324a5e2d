/**
 * Several devices as a person meets them, on real daemons: a change on one spoke reaches the
 * other's live stream with its device; a hub restored from an older copy gets back what it lost;
 * refusals (another certificate, a used code, a revoked device) say what happened; leaving keeps
 * the data; a hub that would speak plain HTTP to the network does not start.
 */
import assert from 'node:assert/strict'
import { copyFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import WebSocket from 'ws'
import { runCli } from '../daemon.ts'
import {
  type Node,
  api,
  freePort,
  ok,
  pair,
  rangeQuery,
  restart,
  snapshot,
  startHub,
  startNode,
  stop,
  until,
} from './helpers.ts'

const MIN = 60_000
const HOUR = 60 * MIN
const dirs = (n: Node) => ['--data-dir', n.process.dataDir, '--config-dir', n.process.configDir]

function event(startMs: number, app: string) {
  return {
    timestamp: new Date(startMs).toISOString(),
    end_timestamp: new Date(startMs + 5 * MIN).toISOString(),
    category: 'Coding',
    app_name: app,
    entity_name: `${app}.ts`,
    project_name: 'daybook',
    source_name: 'daybook-editor',
  }
}

/** The live stream of a node (over its Unix socket), with every envelope it has sent so far. */
function stream(node: Node): {
  envelopes: { type: string; payload: unknown }[]
  close: () => void
  open: Promise<void>
} {
  const d = node.process.discovery
  const ws = new WebSocket(
    d.socket ? `ws+unix://${d.socket}:/v1/events` : `ws://127.0.0.1:${d.port}/v1/events`,
    { headers: { authorization: `Bearer ${node.process.token}` } },
  )
  const envelopes: { type: string; payload: unknown }[] = []
  ws.on('message', (data: Buffer) => envelopes.push(JSON.parse(data.toString())))
  return {
    envelopes,
    close: () => ws.close(),
    open: new Promise((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    }),
  }
}

test(
  'several devices: live, a restored hub, refusals, leaving',
  { timeout: 600_000 },
  async (t) => {
    const now = Date.now()
    const base = Math.floor((now - 5 * HOUR) / HOUR) * HOUR
    const range = [base - HOUR, now + HOUR] as const
    const [hub, laptop, desktop] = await Promise.all([
      // The hub is stopped and killed below: a process; the spokes run in this one.
      (async () => startHub(t, await freePort(), 'sqlite', { killable: true }))(),
      startNode(t, 'laptop'),
      startNode(t, 'desktop'),
    ])

    await t.test('a wrong fingerprint is refused naming both; a used code says so', async () => {
      const made = JSON.parse(
        (await runCli(['pair', '--name', 'laptop', '--json', ...dirs(hub)], {}, t)).stdout,
      ) as { url: string; code: string; fingerprint: string }
      const wrong = `SHA256:${'B'.repeat(43)}`
      const refused = await runCli(
        ['sync', 'join', made.url, made.code, '--fingerprint', wrong, ...dirs(laptop)],
        {},
        t,
      )
      assert.equal(refused.code, 1)
      assert.ok(
        refused.stderr.includes(wrong) && refused.stderr.includes(made.fingerprint),
        refused.stderr,
      )
      assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr)
      // Nothing was sent: the code still works.
      const joined = await runCli(
        ['sync', 'join', made.url, made.code, '--fingerprint', made.fingerprint, ...dirs(laptop)],
        {},
        t,
      )
      assert.equal(joined.code, 0, joined.stderr)
      const reused = await runCli(
        ['sync', 'join', made.url, made.code, '--fingerprint', made.fingerprint, ...dirs(desktop)],
        {},
        t,
      )
      assert.equal(reused.code, 1)
      assert.match(reused.stderr, /code_used/)
      await pair(t, hub, desktop, 'desktop')
    })

    await t.test(
      "a change on one spoke reaches the other's live stream, with its device",
      async () => {
        const live = stream(desktop)
        t.after(() => live.close())
        await live.open
        await ok(laptop, 'POST', '/v1/events', [event(base, 'live')])
        await until(async () =>
          live.envelopes.some(
            (e) =>
              e.type === 'EventsInserted' &&
              (e.payload as { events: { device: string; app: string }[] }).events.some(
                (x) => x.device === 'laptop' && x.app === 'live',
              ),
          ),
        )
        const status = await runCli(['sync', 'status', ...dirs(desktop)], {}, t)
        assert.equal(status.code, 0, status.stderr)
        assert.match(status.stdout, /state: +(synced|syncing)/)
      },
    )

    await t.test(
      'a hub restored from an older copy gets back what it lost, and sends on what it has',
      async () => {
        await ok(laptop, 'POST', '/v1/events', [event(base + 10 * MIN, 'before-backup')])
        const converged = async () => {
          const [h, a, b] = await Promise.all(
            [hub, laptop, desktop].map((n) =>
              snapshot(n, range[0], range[1], ['laptop', 'desktop']),
            ),
          )
          return JSON.stringify(a) === JSON.stringify(h) && JSON.stringify(b) === JSON.stringify(h)
        }
        await until(converged)
        // A backup, taken while the hub is stopped.
        await stop(hub, 'SIGTERM')
        const db = path.join(hub.process.dataDir, 'daybook.db')
        const backup = `${db}.backup`
        copyFileSync(db, backup)
        await restart(t, hub)
        await ok(laptop, 'POST', '/v1/events', [event(base + 20 * MIN, 'after-backup-laptop')])
        await ok(desktop, 'POST', '/v1/events', [event(base + 30 * MIN, 'after-backup-desktop')])
        await until(converged)
        // The hub's disk fails; it comes back from the backup, without what came after.
        await stop(hub, 'SIGKILL')
        rmSync(`${db}-wal`, { force: true })
        rmSync(`${db}-shm`, { force: true })
        copyFileSync(backup, db)
        await restart(t, hub)
        await ok(desktop, 'POST', '/v1/events', [event(base + 40 * MIN, 'after-restore')])
        await until(converged)
        const apps = (
          await ok<{ Flat: { app: string }[] }>(
            hub,
            'GET',
            `/v1/events?${rangeQuery(range[0], range[1])}`,
          )
        ).Flat.map((e) => e.app)
        for (const app of [
          'before-backup',
          'after-backup-laptop',
          'after-backup-desktop',
          'after-restore',
        ]) {
          assert.ok(apps.includes(app), `${app} on the restored hub`)
        }
      },
    )

    await t.test('a revoked device is refused and says so; leaving keeps the data', async () => {
      const clients = (
        await ok<{ clients: { id: string; name: string; revoked: boolean }[] }>(
          hub,
          'GET',
          '/v1/sync/clients',
        )
      ).clients
      const id = clients.find((c) => c.name === 'desktop' && !c.revoked)?.id
      await ok(hub, 'POST', '/v1/sync/clients/revoke', { id })
      await ok(desktop, 'POST', '/v1/events', [event(base + 50 * MIN, 'refused')])
      await until(
        async () =>
          (await ok<{ state: string }>(desktop, 'GET', '/v1/sync/status')).state === 'refused',
      )
      const status = await ok<{ lastError: string }>(desktop, 'GET', '/v1/sync/status')
      assert.match(status.lastError, /401/)

      const before = await ok<number>(
        laptop,
        'GET',
        `/v1/summary/total?${rangeQuery(range[0], range[1])}`,
      )
      const left = await runCli(['sync', 'leave', ...dirs(laptop)], {}, t)
      assert.equal(left.code, 0, left.stderr)
      assert.match(left.stdout, /revoked/)
      assert.equal(
        await ok<number>(laptop, 'GET', `/v1/summary/total?${rangeQuery(range[0], range[1])}`),
        before,
      )
      const after = (
        await ok<{ clients: { name: string; revoked: boolean }[] }>(hub, 'GET', '/v1/sync/clients')
      ).clients
      assert.ok(after.filter((c) => c.name === 'laptop').every((c) => c.revoked))
      assert.equal(
        (await ok<{ state: string }>(laptop, 'GET', '/v1/sync/status')).state,
        'unpaired',
      )
      // After leaving, it can be paired again.
      await pair(t, hub, laptop, 'laptop')
      assert.equal((await api(laptop, 'POST', '/v1/sync/now')).status, 200)
    })
  },
)

test('a hub that would speak plain HTTP to the network does not start; its TLS flags go together', async (t) => {
  const cases = [
    [['--hub', '--host', '0.0.0.0'], /speaks TLS: add --tls-self-signed/],
    [
      ['--hub', '--behind-proxy', '--host', '0.0.0.0', '--public-name', 'hub.example'],
      /binds loopback only/,
    ],
    [['--hub', '--behind-proxy'], /needs --public-name/],
    [['--hub', '--tls-cert', '/nonexistent.pem'], /go together/],
    [['--tls-self-signed'], /only a hub takes these/],
  ] as const
  // Each refusal is a process of its own: they run side by side.
  const results = await Promise.all(
    cases.map(([args]) => runCli(['serve', '--port', '0', ...args], {}, t)),
  )
  for (const [i, [args, message]] of cases.entries()) {
    const res = results[i] as Awaited<ReturnType<typeof runCli>>
    assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`)
    assert.match(res.stderr, message)
    assert.equal(res.stderr.trim().split('\n').length <= 2, true, res.stderr)
  }
})
