#!/usr/bin/env node
// Launcher: runs the TypeScript CLI on Node 24 or newer. On an older Node (the shebang picks
// whatever `node` is first on PATH) it re-runs itself with the Node 24 pinned in node_modules.
// The daemon (`serve`) also needs V8 flags that only a command line can set, so it is re-run with
// them too: in place (execve) where Node allows it, else as a child it waits for.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import module from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const major = Number(process.versions.node.split('.')[0])
// The daemon allocates fast while ingesting, and V8 would otherwise let its heap grow to 100 MB more
// than it ever holds live, and keep it. A small young generation and a bound on the old one make
// it collect sooner: the whole daemon stays near 200 MB. (A request body is at most 5 MB; the live
// heap stays far below the bound.)
const DAEMON_FLAGS = ['--max-semi-space-size=4', '--max-old-space-size=192']
// glibc gives each thread that allocates its own malloc arenas (up to 8 per core) and keeps what
// they freed: with the HTTP thread and the store's workers that held 40 MB more at peak than two
// arenas do, at no cost in speed (measured by `npm run bench`). Read at process start, so set for
// the re-run; a value the person set is kept. Other C libraries ignore it.
const DAEMON_ENV = { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' }
const daemon = process.argv[2] === 'serve'
const flagged =
  DAEMON_FLAGS.every((f) => process.execArgv.includes(f)) &&
  process.env.MALLOC_ARENA_MAX !== undefined

// Compiled code (type-stripped TypeScript included) is cached on disk: later starts skip the
// stripping and most of the compiling. The cache is code this process will run, so it lives in the
// person's own cache dir (0700), never in a shared temp dir another account could fill first. Put
// in the environment, so the daemon's store workers and a re-run use it too.
const cacheDir =
  process.env.NODE_COMPILE_CACHE || path.join(userCacheDir(), 'daybook', 'compile-cache')
try {
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 })
  process.env.NODE_COMPILE_CACHE = cacheDir
  module.enableCompileCache?.(cacheDir)
} catch {
  // No cache (a read-only home): every start strips and compiles again, nothing else changes.
}

/** Where this platform keeps a user's caches. */
function userCacheDir() {
  if (process.platform === 'win32') return process.env.LOCALAPPDATA || os.tmpdir()
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches')
  return process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache')
}

// The version needs no TypeScript, no Node 24 and none of the app: answer it at once.
if (process.argv[2] === '--version' || process.argv[2] === '-v') {
  const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
  process.stdout.write(`${version}\n`)
  process.exit(0)
}

if (major >= 24 && (!daemon || flagged)) {
  const { main } = await import('../src/cli/main.ts')
  process.exitCode = await main(process.argv.slice(2))
} else {
  const pinned =
    major >= 24 ? process.execPath : path.join(root, 'node_modules', 'node', 'bin', 'node')
  if (!existsSync(pinned)) {
    process.stderr.write(
      `daybook needs Node.js 24 or newer (this is ${process.version}); run npm install in ${root}\n`,
    )
    process.exit(1)
  }
  const args = [
    ...(daemon ? DAEMON_FLAGS : []),
    fileURLToPath(import.meta.url),
    ...process.argv.slice(2),
  ]
  const env = daemon ? { ...process.env, ...DAEMON_ENV } : process.env
  // Where Node can (22.15 and later), the launcher becomes the daemon: one process, whose pid is
  // the one in daemon.json, whose RSS is the daemon's, and which no kill -9 of a launcher can
  // orphan. An older Node (a system Node 20 first on PATH) waits for its child instead.
  if (typeof process.execve === 'function') process.execve(pinned, [pinned, ...args], env)
  const child = spawn(pinned, args, { stdio: 'inherit', env })
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal))
  }
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal)
      process.kill(process.pid, signal)
    } else process.exit(code ?? 1)
  })
}
