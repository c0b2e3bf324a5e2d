/**
 * daemon.json (src/config/discovery.ts): what the daemon writes is what clients read; anything
 * else in its place is one clear failure, never a hang or a stack trace.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { DaybookClient, UnreachableError } from '../../src/client/client.ts'
import {
  type Discovery,
  discoveryUrl,
  readDiscovery,
  removeDiscovery,
  writeDiscovery,
} from '../../src/config/discovery.ts'
import { tempDir } from '../helpers.ts'

const record: Discovery = {
  pid: process.pid,
  host: '127.0.0.1',
  port: 5610,
  socket: null,
  version: '0.1.0',
  startedAt: '2026-04-01T10:00:00.000Z',
}

test('written, read back, removed; private to its owner', (t) => {
  const dir = tempDir(t)
  assert.equal(readDiscovery(dir), undefined)
  writeDiscovery(dir, record)
  assert.deepEqual(readDiscovery(dir), record)
  if (process.platform !== 'win32') {
    assert.equal(statSync(path.join(dir, 'daemon.json')).mode & 0o777, 0o600)
  }
  removeDiscovery(dir)
  assert.equal(readDiscovery(dir), undefined)
})

test('a file that is not a discovery file is refused with one line, by clients too', (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'daemon.json')
  for (const content of ['{"pid":', JSON.stringify({ ...record, port: 'x' })]) {
    writeFileSync(file, content)
    assert.throws(() => readDiscovery(dir), { message: `${file} is not a daybook discovery file` })
    assert.throws(
      () => DaybookClient.local({ dataDir: dir, env: {} }),
      (err) => err instanceof UnreachableError && err.message.endsWith('discovery file'),
    )
  }
})

test(
  'a FIFO in its place is refused unread (reading one would block)',
  { skip: spawnSync('mkfifo', ['--version']).error ? 'no mkfifo' : false },
  (t) => {
    const dir = tempDir(t)
    const file = path.join(dir, 'daemon.json')
    assert.equal(spawnSync('mkfifo', [file]).status, 0)
    assert.throws(() => readDiscovery(dir), { message: `cannot read ${file}: not a regular file` })
  },
)

test('the URL a local client reaches: wildcard binds at loopback, IPv6 in brackets', () => {
  const url = (host: string | null, port: number | null = 5610) =>
    discoveryUrl({ ...record, host, port })
  assert.equal(url('127.0.0.1'), 'http://127.0.0.1:5610')
  assert.equal(url('127.0.0.2'), 'http://127.0.0.2:5610')
  assert.equal(url('0.0.0.0'), 'http://127.0.0.1:5610')
  assert.equal(url('::'), 'http://[::1]:5610')
  assert.equal(url('::1'), 'http://[::1]:5610')
  assert.equal(url('fd00::5'), 'http://[fd00::5]:5610')
  assert.equal(url('localhost'), 'http://localhost:5610')
  assert.equal(url(null, null), undefined, 'no TCP listener')
})
