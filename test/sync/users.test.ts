/**
 * Sync against a team server (issue 22): spokes pair with a user's diary (`daybook pair --user`)
 * on a hub that holds several people's diaries, as real daemons, the hub's diaries in SQLite and
 * in PostgreSQL (a throwaway server; spokes keep theirs in SQLite). Two spokes of one user and one
 * of another record; each user's devices converge on that user's totals, and nothing crosses
 * from one user to the other, nor into the owner's diary. Pairing for a user nobody has, with a
 * name no user can have, or with a token that is no server admin's is refused with its code.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request, runCli } from '../daemon.ts'
import {
  type Node,
  freePort,
  hubStores,
  pair,
  rangeQuery,
  startHub,
  startNode,
  until,
} from './helpers.ts'

const MIN = 60_000
const HOUR = 60 * MIN

/** A request to a node over its Unix socket with `token` (a user's, not the node's own). */
async function as(node: Node, token: string, method: string, path: string, body?: unknown) {
  const d = node.process.discovery
  const res = await request(d.socket ? { socketPath: d.socket } : { port: d.port ?? 0 }, {
    method,
    path,
    headers: { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return {
    status: res.status,
    body: (res.body === '' ? undefined : JSON.parse(res.body)) as unknown,
  }
}

// The team server's diaries in SQLite and in PostgreSQL (its spokes keep theirs in SQLite).
for (const [store, skip] of await hubStores())
  test(
    `a team server on ${store}: spokes pair with a user; each pushes into and pulls from that diary only`,
    { timeout: 600_000, skip: skip ?? false },
    async (t) => {
      const now = Date.now()
      const base = Math.floor((now - 4 * HOUR) / HOUR) * HOUR
      const range = rangeQuery(base - HOUR, now + HOUR)
      const [hub, annLaptop, annDesktop, bobLaptop] = await Promise.all([
        (async () => startHub(t, await freePort(), store))(),
        startNode(t, 'ann-laptop'),
        startNode(t, 'ann-desktop'),
        startNode(t, 'bob-laptop'),
      ])
      const where = ['--data-dir', hub.process.dataDir, '--config-dir', hub.process.configDir]
      const cli = (...args: string[]) => runCli([...args, ...where], {}, t)
      for (const name of ['ann', 'bob']) {
        const added = await cli('user', 'add', name)
        assert.equal(added.code, 0, added.stderr)
      }
      const token = async (user: string, scope: string) => {
        const made = await cli(
          'token',
          'create',
          '--user',
          user,
          '--name',
          'test',
          '--scope',
          scope,
        )
        assert.equal(made.code, 0, made.stderr)
        return made.stdout.trim()
      }
      const ann = await token('ann', 'admin')
      const bob = await token('bob', 'read_only')
      const owner = hub.process.token

      // Refusals, each with its code; nothing is made.
      const unknown = await as(hub, owner, 'POST', '/v1/users/carol/sync/pair', {})
      assert.equal(unknown.status, 404, JSON.stringify(unknown.body))
      assert.equal((unknown.body as { code: string }).code, 'unknown_user')
      const badName = await as(hub, owner, 'POST', '/v1/users/Carol%20X/sync/pair', {})
      assert.equal(badName.status, 400, JSON.stringify(badName.body))
      const notAdmin = await as(hub, ann, 'POST', '/v1/users/bob/sync/pair', {})
      assert.equal(notAdmin.status, 403, JSON.stringify(notAdmin.body))
      assert.equal((notAdmin.body as { code: string }).code, 'not_server_admin')
      const viaCli = await cli('pair', '--user', 'carol')
      assert.equal(viaCli.code, 1)
      assert.match(viaCli.stderr, /unknown_user/)

      // Ann's two machines and Bob's one pair with their diaries.
      await Promise.all([
        pair(t, hub, annLaptop, 'ann-laptop', 'ann'),
        pair(t, hub, annDesktop, 'ann-desktop', 'ann'),
        pair(t, hub, bobLaptop, 'bob-laptop', 'bob'),
      ])
      const record = async (node: Node, project: string, count: number, offsetMin: number) => {
        const events = Array.from({ length: count }, (_, i) => ({
          timestamp: new Date(base + (offsetMin + i * 7) * MIN).toISOString(),
          end_timestamp: new Date(base + (offsetMin + i * 7 + 5) * MIN).toISOString(),
          category: 'Coding',
          app_name: 'Code',
          entity_name: `${project}-${i}.ts`,
          project_name: project,
          source_name: 'daybook-editor',
        }))
        const res = await as(node, node.process.token, 'POST', '/v1/events', events)
        assert.equal(res.status, 200, JSON.stringify(res.body))
      }
      await Promise.all([
        record(annLaptop, 'ann_laptop', 12, 0),
        record(annDesktop, 'ann_desktop', 9, 100),
        record(bobLaptop, 'bob_laptop', 10, 0),
      ])

      const total = async (node: Node, tok = node.process.token) => {
        const res = await as(node, tok, 'GET', `/v1/summary/total?${range}`)
        assert.equal(res.status, 200, JSON.stringify(res.body))
        return res.body as number
      }
      // Ann's time: both her machines' (12 and 9 events of 5 minutes, apart), on the hub's diary
      // of hers and on both machines; Bob's: his machine's.
      const annSeconds = (12 + 9) * 5 * 60
      const bobSeconds = 10 * 5 * 60
      await until(async () => {
        const [hubAnn, laptop, desktop, hubBob, bobs] = await Promise.all([
          total(hub, ann),
          total(annLaptop),
          total(annDesktop),
          total(hub, bob),
          total(bobLaptop),
        ])
        return (
          hubAnn === annSeconds &&
          laptop === annSeconds &&
          desktop === annSeconds &&
          hubBob === bobSeconds &&
          bobs === bobSeconds
        )
      })

      // Nothing crossed: projects and devices as each diary holds them.
      const projects = async (node: Node, tok = node.process.token) => {
        const res = await as(node, tok, 'GET', `/v1/projects?limit=100`)
        assert.equal(res.status, 200, JSON.stringify(res.body))
        return JSON.stringify(res.body)
      }
      const devices = async (node: Node, tok = node.process.token) => {
        const res = await as(node, tok, 'GET', '/v1/devices')
        return (res.body as { name: string }[]).map((d) => d.name)
      }
      for (const [node, tok] of [
        [hub, ann],
        [annLaptop, annLaptop.process.token],
        [annDesktop, annDesktop.process.token],
      ] as const) {
        const p = await projects(node, tok)
        assert.match(p, /ann_laptop/)
        assert.match(p, /ann_desktop/)
        assert.doesNotMatch(p, /bob_laptop/, node.name)
        const names = await devices(node, tok)
        assert.ok(names.includes('ann-laptop') && names.includes('ann-desktop'), names.join())
        assert.ok(!names.includes('bob-laptop'), `${node.name}: ${names.join()}`)
      }
      for (const [node, tok] of [
        [hub, bob],
        [bobLaptop, bobLaptop.process.token],
      ] as const) {
        const p = await projects(node, tok)
        assert.match(p, /bob_laptop/)
        assert.doesNotMatch(p, /ann_/, node.name)
        assert.ok(!(await devices(node, tok)).some((n) => n.startsWith('ann-')), node.name)
      }
      // The owner's diary on the server holds none of it.
      assert.equal(await total(hub), 0)
      assert.doesNotMatch(await projects(hub), /ann_|bob_/)

      // Each user's paired devices are listed in their diary only.
      const clients = async (tok: string) => {
        const res = await as(hub, tok, 'GET', '/v1/sync/clients')
        assert.equal(res.status, 200, JSON.stringify(res.body))
        return (res.body as { clients: { name: string }[] }).clients.map((c) => c.name).sort()
      }
      assert.deepEqual(await clients(ann), ['ann-desktop', 'ann-laptop'])
      assert.deepEqual(await clients(owner), [])
    },
  )
