/**
 * Signals to a real `daybook serve` process while it starts: SIGTERM ends it, whatever step it is
 * in; what it began is safe to abandon.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { type TestContext, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { cleanEnv, request, startDaemon } from '../daemon.ts'
import { tempDir } from '../helpers.ts'

const MAIN = path.join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts')

interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** `daybook serve` on a Unix socket only, so that its listener is seen without daemon.json. */
function serve(t: TestContext, dataDir: string, socketPath: string) {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      MAIN,
      'serve',
      '--no-tcp',
      '--socket',
      socketPath,
      '--data-dir',
      dataDir,
      '--config-dir',
      path.join(dataDir, 'config'),
      '--log-level',
      'warn',
    ],
    { env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<Exit>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  )
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  return { child, exited, stderr: () => stderr }
}

test('SIGTERM while the daemon waits to migrate ends it at once, by the signal', async (t) => {
  const dir = tempDir(t, 'dbk-sig-')
  const dataDir = path.join(dir, 'data')
  mkdirSync(dataDir, { mode: 0o700 })
  const dbFile = path.join(dataDir, 'daybook.db')
  // Another program writing to the database: the daemon's migrations wait for its lock.
  const holder = new DatabaseSync(dbFile)
  t.after(() => holder.close())
  holder.exec('PRAGMA journal_mode = WAL')
  holder.exec('BEGIN IMMEDIATE')
  holder.exec('CREATE TABLE holder (x)')

  // The daemon gives up waiting after the store's busy timeout (10 s). On a machine loaded so
  // much that the signal could not be sent before, it has not been tested: start it again.
  for (;;) {
    const socketPath = path.join(dir, 'daybook.sock')
    const d = serve(t, dataDir, socketPath)
    // Listening and not ready: /readyz says 503 while the migrations wait.
    let starting = false
    while (d.child.exitCode === null && !starting) {
      if (existsSync(socketPath)) {
        const ready = await request({ socketPath }, { path: '/readyz' }).catch(() => undefined)
        starting = ready?.status === 503
      }
      if (!starting) await sleep(25)
    }
    if (!starting) {
      assert.match(d.stderr(), /database is locked/, 'the start failed for another reason')
      continue
    }
    d.child.kill('SIGTERM')
    const exit = await d.exited
    assert.deepEqual(exit, { code: null, signal: 'SIGTERM' }, d.stderr())
    assert.match(d.stderr(), /SIGTERM received while starting, exiting now/)
    assert.doesNotMatch(d.stderr(), /cannot migrate/)
    break
  }

  // Abandoned, not half done: the next start migrates and serves.
  holder.exec('ROLLBACK')
  const next = await startDaemon(t, [], { dataDir, configDir: path.join(dataDir, 'config') })
  const ready = await request({ port: next.discovery.port ?? 0 }, { path: '/readyz' })
  assert.equal(ready.status, 200)
})
