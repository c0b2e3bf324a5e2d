import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { ApiError, DaybookClient, UnreachableError } from '../../src/client/client.ts'
import { startInProcess } from '../daemon.ts'
import { eventInput, tempDir } from '../helpers.ts'

test('the client finds the local daemon by its discovery and token files (TCP and socket)', async (t) => {
  for (const args of [[], ['--socket']]) {
    const d = await startInProcess(t, args)
    const client = DaybookClient.local({ dataDir: d.dataDir, configDir: d.configDir, env: {} })
    assert.equal('socketPath' in client.endpoint, args.length > 0)
    assert.deepEqual(await client.post('/v1/events', [eventInput()]), {
      inserted: 1,
      duplicates: 0,
      updated: 0,
    })
    const apps = await client.get<{ name: string }[]>('/v1/apps')
    assert.deepEqual(
      apps.map((a) => a.name),
      ['Code'],
    )
    // Query values go out in the bracket forms the daemon reads.
    const events = await client.get<{ Flat: unknown[] }>('/v1/events', {
      preset: { custom: { start: '2025-09-11T00:00:00Z', end: '2025-09-12T00:00:00Z' } },
      apps: ['Code', 'Other'],
    })
    assert.equal(events.Flat.length, 1)
  }
})

test('errors carry the daemon code; a missing daemon is UnreachableError', async (t) => {
  const d = await startInProcess(t)
  const wrong = DaybookClient.local({ dataDir: d.dataDir, token: 'wrong', env: {} })
  await assert.rejects(wrong.get('/v1/apps'), (err: unknown) => {
    assert.ok(err instanceof ApiError)
    assert.equal(err.status, 401)
    assert.equal(err.code, 'unauthorized')
    return true
  })
  const empty = tempDir(t)
  assert.throws(() => DaybookClient.local({ dataDir: empty, env: {} }), UnreachableError)
  // A discovery file left behind by a dead process is recognised as such.
  writeFileSync(
    path.join(empty, 'daemon.json'),
    JSON.stringify({
      pid: 2 ** 22 + 7,
      host: '127.0.0.1',
      port: 1,
      socket: null,
      version: '0.1.0',
      startedAt: '2026-01-01T00:00:00.000Z',
    }),
  )
  assert.throws(
    () => DaybookClient.local({ dataDir: empty, env: {} }),
    /is not running \(start one with: daybook serve\)$/,
  )
  const offline = new DaybookClient({ endpoint: { baseUrl: 'http://127.0.0.1:9' } })
  await assert.rejects(offline.get('/health'), UnreachableError)
})
