/**
 * Runs the real daemon for tests over real sockets: as a child process (`daybook serve`) for tests
 * of the process (signals, exit codes, its log, a kill), or in the test's own process
 * (`startDaemon` from src/daemon, the same start) for tests that only need one to talk to.
 */
import assert from 'node:assert/strict'
import { AsyncLocalStorage } from 'node:async_hooks'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { resolveServeConfig } from '../src/cli/serve.ts'
import { type Discovery, readDiscovery } from '../src/config/discovery.ts'
import type { Daemon } from '../src/daemon/daemon.ts'
import { SETTING_VARIABLES } from '../src/config/settings.ts'
import { type TestScope, tempDir } from './helpers.ts'

/** The CLI entry point the test processes run. */
export const MAIN = path.join(import.meta.dirname, '..', 'src', 'cli', 'main.ts')

/**
 * True for a variable of the test process's environment that children must not inherit: every
 * `DAYBOOK_*` and `ACTIVITY_*` one, and every other variable a setting is read from (the frames
 * server's `HOST`, `PORT`, ...): the developer's own shell must not decide what a test's daemon does.
 */
function isDaemonVariable(name: string): boolean {
  return (
    name.startsWith('DAYBOOK_') || name.startsWith('ACTIVITY_') || SETTING_VARIABLES.includes(name)
  )
}

/** The test process's environment without the daemon's variables, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !isDaemonVariable(name)),
  )
  // Every daemon and CLI process a test starts compiles the same sources: cache them once.
  return {
    NODE_COMPILE_CACHE: path.join(os.tmpdir(), 'daybook-test-compile-cache'),
    ...env,
    ...extra,
  }
}

/** A running daemon, wherever it runs: its dirs, what it announced, its admin token. */
export interface RunningDaemon {
  dataDir: string
  configDir: string
  discovery: Discovery
  token: string
}

export interface DaemonProcess extends RunningDaemon {
  child: ChildProcess
  /** Everything the daemon wrote so far (it writes its log to stderr). */
  stdout: () => string
  stderr: () => string
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>
}

function readOwnDiscovery(dataDir: string, pid: number | undefined): Discovery | undefined {
  const d = readDiscovery(dataDir)
  return d?.pid === pid ? d : undefined
}

/**
 * Commands `runCli` runs in the test process (`main`, as the launcher calls it): the ones that
 * make a few requests or file changes and end, and read their environment only from the `env`
 * they are given. Each run in a process of its own cost a third of a second of CPU, and the suite
 * runs some 200. The others (`serve`, `watch`, `tail`, `mcp`: long-running, with signal handlers
 * of their own; `import -`: standard input) run as a process, as do runs given `HOME` or an `XDG_`
 * variable (the default dirs come from the process's home).
 */
const IN_PROCESS = new Set([
  'token',
  'user',
  'team',
  'pair',
  'sync',
  'status',
  'summary',
  'hooks',
  'open',
  'migrate',
  'export',
  'import',
  'backup',
  'restore',
  'screenshots',
  'wakatime',
  'service',
])

/** Whether `runCli` runs `args` with `env` in the test process. */
function inProcess(args: readonly string[], env: Record<string, string>): boolean {
  const [command = ''] = args
  if (!IN_PROCESS.has(command)) return false
  if (command === 'import' && args.includes('-')) return false
  return !Object.keys(env).some((name) => name === 'HOME' || name.startsWith('XDG_'))
}

/** Where an in-process run's output goes: its own strings, found by its async context. */
const captured = new AsyncLocalStorage<{ stdout: string; stderr: string }>()
let capturing = false

/**
 * Routes what a CLI run in this process writes to `process.stdout` and `process.stderr` to its
 * own strings; writes from outside a run (the test runner's) go through as before.
 */
function captureOutput(): void {
  if (capturing) return
  capturing = true
  for (const key of ['stdout', 'stderr'] as const) {
    const stream = process[key]
    const write = stream.write.bind(stream) as (...a: unknown[]) => boolean
    stream.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
      const run = captured.getStore()
      if (run === undefined) return write(chunk, ...rest)
      run[key] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined
      if (done) process.nextTick(done)
      return true
    }
  }
}

/**
 * Runs `daybook <args>` to completion: in this process where the command allows (`IN_PROCESS`),
 * else as a child. With `t`, a child still running when the test ends (one that never exits, the
 * bug a test is about) is killed then.
 */
export async function runCli(args: string[], env: Record<string, string> = {}, t?: TestScope) {
  if (inProcess(args, env)) {
    captureOutput()
    const { main } = await import('../src/cli/main.ts')
    const run = { stdout: '', stderr: '' }
    const code = await captured.run(run, async () => {
      try {
        return await main(args, cleanEnv(env))
      } catch (err) {
        // What Node prints for an uncaught error, and its exit code.
        process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
        return 1
      }
    })
    return { code, stdout: run.stdout, stderr: run.stderr }
  }
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t?.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  return { code, stdout, stderr }
}

/** A test daemon's environment, and dirs it used before (a restart); fresh ones otherwise. */
export interface TestDaemonOptions {
  env?: Record<string, string>
  dataDir?: string
  configDir?: string
}

/** `daybook serve`'s flags for a test daemon: any free port, these dirs, warnings only; `args`. */
function serveFlags(dataDir: string, configDir: string, args: readonly string[]): string[] {
  return [
    '--port',
    '0',
    '--data-dir',
    dataDir,
    '--config-dir',
    configDir,
    '--log-level',
    'warn',
    ...args,
  ]
}

/**
 * Starts `daybook serve --port 0` in fresh data and config dirs and waits until it is ready; it
 * is killed when `t` (a test, or a file's `fileScope`) ends.
 */
export async function startDaemon(
  t: TestScope,
  args: string[] = [],
  options: TestDaemonOptions = {},
): Promise<DaemonProcess> {
  const dir = tempDir(t, 'dbk-')
  const dataDir = options.dataDir ?? path.join(dir, 'data')
  const configDir = options.configDir ?? path.join(dir, 'config')
  const child = spawn(process.execPath, [MAIN, 'serve', ...serveFlags(dataDir, configDir, args)], {
    env: cleanEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  // Ready when daemon.json names this process (a killed daemon may have left an older one).
  // No start-up deadline: a loaded machine is slow, not broken; a daemon that exits is reported
  // at once, and a hung one meets the test's own timeout.
  let discovery: DaemonProcess['discovery'] | undefined
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}: ${stderr}`)
    discovery = readOwnDiscovery(dataDir, child.pid)
    if (discovery) break
    await sleep(25)
  }
  const tokenPath = path.join(configDir, 'auth.token')
  const token = options.env?.DAYBOOK_TOKEN ?? readFileSync(tokenPath, 'utf8').trim()
  return {
    child,
    dataDir,
    configDir,
    discovery,
    token,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
  }
}

/** A daemon in the test's process (`startInProcess`). */
export interface InProcessDaemon extends RunningDaemon {
  daemon: Daemon
  /** What it warned about (`daybook serve` prints these), and a store thread's failure. */
  warnings: string[]
  /** Stops it as SIGTERM stops `daybook serve` (once; the test's end does it otherwise). */
  close(): Promise<void>
}

/**
 * Starts the daemon in this process as `daybook serve --port 0 <args>` would, in fresh data and
 * config dirs (or the ones given, for a restart): the same configuration, the same start, real
 * sockets and files; it is closed when `t` ends. A child process costs each start about 1.5 s
 * more CPU (Node, every module loaded again), so tests that only need a daemon to talk to (the
 * CLI's, the dashboard's, a sync peer that is never killed) use this one; tests of the process
 * itself (signals, exit codes, its log, a kill) use `startDaemon`. Nothing may block the event
 * loop while it runs (no spawnSync): the daemon answers on this thread.
 */
export async function startInProcess(
  t: TestScope,
  args: string[] = [],
  options: TestDaemonOptions = {},
): Promise<InProcessDaemon> {
  const dir =
    options.dataDir === undefined ? mkdtempSync(path.join(os.tmpdir(), 'dbk-')) : undefined
  const remove = () => dir !== undefined && rmSync(dir, { recursive: true, force: true })
  const dataDir = options.dataDir ?? path.join(dir ?? '', 'data')
  const configDir = options.configDir ?? path.join(dir ?? '', 'config')
  const config = resolveServeConfig(serveFlags(dataDir, configDir, args), cleanEnv(options.env))
  const warnings: string[] = []
  // Loaded here: files that only spawn daemons do not load the daemon's code.
  const { startDaemon: start } = await import('../src/daemon/daemon.ts')
  const daemon = await start(config, {
    warn: (line) => warnings.push(line),
    onStoreFailure: (err) => warnings.push(`the store failed: ${err.message}`),
  }).catch((err: unknown) => {
    remove()
    throw err
  })
  let closing: Promise<void> | undefined
  const close = () => (closing ??= daemon.close())
  t.after(async () => {
    await close()
    remove()
  })
  const discovery = readDiscovery(dataDir)
  if (discovery === undefined) throw new Error(`no daemon.json in ${dataDir}`)
  const token =
    options.env?.DAYBOOK_TOKEN ?? readFileSync(path.join(configDir, 'auth.token'), 'utf8').trim()
  return { daemon, dataDir, configDir, discovery, token, warnings, close }
}

/** The ActivityWatch port of a daemon started with `--aw` (a child prints it after daemon.json). */
export async function awPort(d: DaemonProcess | InProcessDaemon): Promise<number> {
  if ('daemon' in d) return d.daemon.awPort ?? 0
  // It is printed just after daemon.json is written: waited for, however slow the machine.
  for (;;) {
    const m = /http:\/\/127\.0\.0\.1:(\d+) \(ActivityWatch API\)/.exec(d.stderr())
    if (m) return Number(m[1])
    if (d.child.exitCode !== null) throw new Error(`the daemon exited: ${d.stderr()}`)
    await sleep(25)
  }
}

export interface HttpResult {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

/** One HTTP request over TCP (`port`) or a Unix socket (`socketPath`). */
export function request(
  target: { port: number } | { socketPath: string },
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        ...('port' in target
          ? { host: '127.0.0.1', port: target.port }
          : { socketPath: target.socketPath }),
        method: options.method ?? 'GET',
        path: options.path,
        headers: {
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        agent: false,
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/** A JSON request to a daemon's TCP port with `token` as the bearer token. */
export function sendAs(
  d: RunningDaemon,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<HttpResult> {
  return request(
    { port: d.discovery.port as number },
    {
      method,
      path,
      headers: { authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    },
  )
}

/** An admin token of team-server user `user`, made through `d`'s API with its admin token. */
export async function userToken(d: RunningDaemon, user: string): Promise<string> {
  const res = await sendAs(d, d.token, 'POST', `/v1/users/${user}/tokens`, {
    name: 'laptop',
    acl: 'admin',
    expiry: 'never',
  })
  assert.equal(res.status, 200, res.body)
  return (JSON.parse(res.body) as { token: string }).token
}
