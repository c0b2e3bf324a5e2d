/**
 * What the X11 end-to-end tests share: a real X server (Xvfb) on a free display, optionally with
 * a window manager, and waits that end on readiness (the test's own timeout bounds them).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import type { TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { checkX11 } from '../../src/collectors/platform/uiohook.ts'

export function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0
}

/**
 * The running test's signal (set by `startX`): a test that timed out has its X server and
 * processes taken down by its after hooks, and a wait still polling would keep the file's process
 * alive for ever; it ends with the test instead.
 */
let testSignal: AbortSignal | undefined

/** Polls `probe` until it gives a value; a probe that throws ends the wait, as the test's end does. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    if (testSignal?.aborted === true) throw new Error(`stopped waiting for ${what}: the test ended`)
    let value: T | undefined
    try {
      value = await probe()
    } catch (err) {
      throw new Error(`while waiting for ${what}: ${(err as Error).message}`)
    }
    if (value !== undefined) return value
    await sleep(100)
  }
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

/** Kills `child` when the test ends, if it is still running. */
export function reap(t: TestContext, child: ChildProcess): void {
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited(child)
    }
  })
}

/**
 * Starts Xvfb (and `wm`, when given) and resolves to the display, or to a reason to skip: not
 * Linux, or a tool missing. An installed server that does not come up is a failure, not a skip:
 * CI installs it, and a skip there would hide a broken machine.
 */
export async function startX(
  t: TestContext,
  tools: string[],
  wm?: string,
): Promise<{ display: string } | { skip: string }> {
  testSignal = t.signal
  if (process.platform !== 'linux') return { skip: 'the X11 end-to-end tests run on Linux' }
  for (const tool of ['Xvfb', ...tools, ...(wm ? [wm] : [])]) {
    if (!has(tool)) return { skip: `${tool} is not installed (.ci/run installs it)` }
  }
  // A display number drawn from a wide range rather than Xvfb's own -displayfd, which takes the
  // lowest free one: a number another test file's server has just given up (killed, its sockets
  // still going away) was taken again at once, and a client then reached the old server. A number
  // in use makes Xvfb exit at once; then another is drawn.
  for (let attempt = 1; ; attempt++) {
    const number = 100 + Math.floor(Math.random() * 9000)
    const display = `:${number}`
    const lock = `/tmp/.X${number}-lock`
    if (existsSync(lock)) continue
    const xvfb = spawn('Xvfb', [display, '-screen', '0', '1024x768x24', '-nolisten', 'tcp'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    reap(t, xvfb)
    let said = ''
    xvfb.stderr?.on('data', (b: Buffer) => (said += b.toString()))
    // Up when the server that answers is this one: the display's lock file holds its pid.
    const ours = () => {
      try {
        return Number(readFileSync(lock, 'utf8').trim()) === xvfb.pid
      } catch {
        return false
      }
    }
    const up = await until('Xvfb', async () => {
      if (xvfb.exitCode !== null || xvfb.signalCode !== null) return false
      return checkX11(display).then(
        () => ours() || undefined,
        () => undefined,
      )
    })
    if (up) {
      if (wm) await startWindowManager(t, wm, display)
      return { display }
    }
    if (attempt === 10) throw new Error(`Xvfb exited with ${xvfb.exitCode}: ${said.trim()}`)
  }
}

/**
 * Starts `wm` on `display` and waits until it manages it (it has announced itself on the root
 * window, as EWMH asks). A window manager that exits at start is tried again, twice, and then
 * reported with what it said.
 */
async function startWindowManager(t: TestContext, wm: string, display: string): Promise<void> {
  const env = { ...process.env, DISPLAY: display }
  let said = ''
  for (let attempt = 1; attempt <= 3; attempt++) {
    const manager = spawn(wm, [], { stdio: ['ignore', 'ignore', 'pipe'], env })
    reap(t, manager)
    let text = ''
    manager.stderr?.on('data', (b: Buffer) => (text += b.toString()))
    const closed = new Promise<void>((resolve) => manager.once('close', () => resolve()))
    const managing = await until(`${wm} to manage the display`, async () => {
      if (manager.exitCode !== null) return false
      const r = spawnSync('xprop', ['-root', '_NET_SUPPORTING_WM_CHECK'], { env })
      return r.status === 0 && /window id/.test(r.stdout.toString()) ? true : undefined
    })
    if (managing) return
    await closed // its last words are read
    said = `${wm} exited with ${manager.exitCode}: ${text.trim()}`
    process.stderr.write(`x11 test helper: ${said}; starting it again\n`)
  }
  throw new Error(said)
}
