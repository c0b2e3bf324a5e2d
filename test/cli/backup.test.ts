import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import { tempDir } from '../helpers.ts'
import { type RunningDaemon, request, runCli, startDaemon, startInProcess } from '../daemon.ts'

function call(d: RunningDaemon, method: string, url: string, body?: unknown) {
  return request(
    { port: d.discovery.port as number },
    {
      method,
      path: url,
      headers: { authorization: `Bearer ${d.token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    },
  )
}

const dirs = (d: RunningDaemon) => ['--data-dir', d.dataDir, '--config-dir', d.configDir]
const START = Date.parse('2025-01-01T00:00:00Z')

/** Batch `i`: ten one-minute events. */
function batch(i: number) {
  return Array.from({ length: 10 }, (_, k) => {
    const s = START + (i * 10 + k) * 120_000
    return {
      timestamp: new Date(s).toISOString(),
      end_timestamp: new Date(s + 60_000).toISOString(),
      category: 'Coding',
      app_name: 'Code',
      entity_name: `f${i}-${k}.ts`,
      project_name: 'p',
      source_name: 'test',
    }
  })
}

describe('daybook backup and restore (real daemons)', () => {
  test('a backup taken during ingest, restored into a new data dir, has every acknowledged event', async (t) => {
    const a = await startInProcess(t)
    let acknowledged = 0
    let stop = false
    // Ingest runs on while the backup is taken.
    const ingest = (async () => {
      for (let i = 0; !stop; i++) {
        const res = await call(a, 'POST', '/v1/events', batch(i))
        assert.equal(res.status, 200, res.body)
        acknowledged = (i + 1) * 10
      }
    })()
    while (acknowledged < 50) await new Promise((r) => setImmediate(r))
    const before = acknowledged
    const file = path.join(tempDir(t), 'b.db.gz')
    const backup = await runCli(['backup', file, ...dirs(a)], {}, t)
    stop = true
    await ingest
    assert.equal(backup.code, 0, backup.stderr)
    assert.match(backup.stdout, /^backup written: .*b\.db\.gz \(\d+ bytes\)$/m)
    const listed = JSON.parse((await call(a, 'GET', '/v1/backups')).body)
    assert.equal(listed.dir, path.join(a.dataDir, 'backups'))
    // Never overwritten.
    const again = await runCli(['backup', file, ...dirs(a)], {}, t)
    assert.equal(again.code, 1)
    assert.match(again.stderr, /exists already/)

    const fresh = path.join(tempDir(t), 'restored')
    const restored = await runCli(['restore', file, '--data-dir', fresh], {}, t)
    assert.equal(restored.code, 0, restored.stderr)
    assert.match(restored.stdout, /^restored .* \(schema version \d+\)$/m)
    const b = await startDaemon(t, [], { dataDir: fresh })
    const status = JSON.parse((await call(b, 'GET', '/v1/status')).body)
    assert.ok(status.counts.events >= before, `${status.counts.events} < ${before}`)
    // Every acknowledged event is there: the first `before` events, one minute each.
    const q = `start=${new Date(START).toISOString()}&end=${new Date(START + before * 120_000).toISOString()}`
    const total = await call(b, 'GET', `/v1/summary/total?${q}`)
    assert.equal(total.body, String(before * 60))

    // Restoring over a running daemon is refused; stopped, the old database is kept aside.
    const refused = await runCli(['restore', file, '--data-dir', b.dataDir], {}, t)
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /a daemon is running/)
    b.child.kill('SIGTERM')
    await b.exited
    const over = await runCli(['restore', file, '--data-dir', b.dataDir], {}, t)
    assert.equal(over.code, 0, over.stderr)
    const kept = /the previous database is kept at (.*)$/m.exec(over.stdout)?.[1]
    assert.ok(kept !== undefined && existsSync(kept), over.stdout)
    // Not a backup at all: refused, nothing moved.
    const junk = await runCli(
      ['restore', path.join(import.meta.dirname, 'backup.test.ts'), '--data-dir', b.dataDir],
      {},
      t,
    )
    assert.equal(junk.code, 1)
    assert.match(junk.stderr, /is not a sound Daybook backup/)
  })
})
