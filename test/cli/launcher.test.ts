/**
 * The `daybook` launcher (bin/daybook.js, what `npm start` and an installed `daybook` run): the
 * daemon it starts has its memory settings; on Node 24 the launcher becomes the daemon (one
 * process, its compiled code cached in the person's own cache dir), and on an older Node first on PATH a signal to the launcher reaches the daemon.
 */
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { type TestContext, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { cleanEnv, request } from '../daemon.ts'
import { tempDir } from '../helpers.ts'

const LAUNCHER = path.join(import.meta.dirname, '..', '..', 'bin', 'daybook.js')

/** Starts `daybook serve` through the launcher; resolves with the daemon's pid and port. */
async function launch(
  t: TestContext,
  env: Record<string, string | undefined>,
  node = process.execPath,
) {
  const dir = tempDir(t, 'dbk-launch-')
  const dataDir = path.join(dir, 'data')
  const base = cleanEnv()
  delete base.MALLOC_ARENA_MAX
  const child = spawn(
    node,
    [LAUNCHER, 'serve', '--port', '0', '--data-dir', dataDir, '--config-dir', path.join(dir, 'c')],
    { env: { ...base, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  )
  let daemonPid: number | undefined
  t.after(async () => {
    // The daemon first: a launcher killed by SIGKILL cannot pass the signal on, and an orphaned
    // daemon would hold this test's stderr pipe open.
    if (daemonPid !== undefined && existsSync(`/proc/${daemonPid}`))
      process.kill(daemonPid, 'SIGKILL')
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  const file = path.join(dataDir, 'daemon.json')
  // Ready when the daemon has written its discovery file; no deadline (see test/daemon.ts).
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the launcher exited: ${stderr}`)
    if (existsSync(file)) {
      try {
        const d = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; port: number }
        daemonPid = d.pid
        return { child, exited, pid: d.pid, port: d.port }
      } catch {
        // being written
      }
    }
    await sleep(25)
  }
}

const linuxOnly =
  process.platform === 'linux' ? false : 'reads the daemon’s command line and environment in /proc'

/** The flags and environment the daemon must run with, read from /proc. */
function assertDaemonSettings(pid: number): void {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
  assert.ok(argv.includes('--max-semi-space-size=4'), argv.join(' '))
  assert.ok(argv.includes('--max-old-space-size=192'), argv.join(' '))
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
  assert.ok(environ.includes('MALLOC_ARENA_MAX=2'), 'MALLOC_ARENA_MAX=2 not in the environment')
}

test(
  'on Node 24 the launcher becomes the daemon, with its V8 flags and two malloc arenas',
  { skip: linuxOnly },
  async (t) => {
    const cacheHome = tempDir(t, 'dbk-cache-')
    const { child, exited, pid, port } = await launch(t, {
      NODE_COMPILE_CACHE: undefined,
      XDG_CACHE_HOME: cacheHome,
    })
    assert.equal(pid, child.pid, 'one process: the pid in daemon.json is the one started')
    assertDaemonSettings(pid)
    // The compiled-code cache is the person's own: in their cache dir, private, and handed to the
    // daemon (and its store workers) through the environment.
    const cache = path.join(cacheHome, 'daybook', 'compile-cache')
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
    assert.ok(environ.includes(`NODE_COMPILE_CACHE=${cache}`), 'the daemon has the cache dir')
    assert.equal(statSync(cache).mode & 0o777, 0o700)
    assert.ok(readdirSync(cache).length > 0, 'compiled code was cached')
    assert.equal((await request({ port }, { path: '/healthz' })).status, 200)
    child.kill('SIGTERM')
    assert.deepEqual(await exited, { code: 0, signal: null })
  },
)

/** A Node older than 22.15 (no process.execve) on this machine, such as a system Node 20. */
function olderNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    if (!existsSync(candidate)) continue
    const hasExecve = execFileSync(candidate, ['-p', 'typeof process.execve'], { encoding: 'utf8' })
    if (hasExecve.trim() !== 'function') return candidate
  }
  return undefined
}

const older = process.platform === 'linux' ? olderNode() : undefined

test(
  'on an older Node the launcher waits for its daemon; SIGTERM to the launcher stops both',
  {
    skip:
      linuxOnly ||
      (older === undefined &&
        'no Node without process.execve here (/usr/bin/node, /usr/local/bin/node)'),
  },
  async (t) => {
    const { child, exited, pid, port } = await launch(t, {}, older)
    assert.notEqual(pid, child.pid, 'the launcher re-runs serve in a process of its own')
    assertDaemonSettings(pid)
    assert.equal((await request({ port }, { path: '/healthz' })).status, 200)
    child.kill('SIGTERM')
    // The daemon stops cleanly on SIGTERM, and the launcher ends as its daemon did.
    assert.deepEqual(await exited, { code: 0, signal: null })
    assert.equal(existsSync(`/proc/${pid}`), false, 'the daemon outlived its launcher')
  },
)

test('a MALLOC_ARENA_MAX the person set is kept', { skip: linuxOnly }, async (t) => {
  const { pid } = await launch(t, { MALLOC_ARENA_MAX: '4' })
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
  assert.ok(environ.includes('MALLOC_ARENA_MAX=4'))
})
