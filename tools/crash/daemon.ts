/**
 * The daemon under test: `daybook serve` as a real process on a data dir that outlives it, killed
 * with SIGKILL and started again. It runs `src/cli/main.ts` directly (not the launcher), so the
 * signal reaches the daemon itself.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { readDiscovery } from '../../src/config/discovery.ts'
import { cleanEnv, request } from '../../test/daemon.ts'

const MAIN = path.join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts')

/** The fixed admin token of every daemon the harness starts. */
export const TOKEN = 'sk-crash-harness-token-0123456789abcdef'

/** A daemon that answered: where to reach it. */
export interface Live {
  port: number
  /** The ActivityWatch listener's port (with `aw`). */
  awPort: number | undefined
  token: string
}

export interface DaemonOptions {
  dataDir: string
  configDir: string
  /** Also serve ActivityWatch's API. */
  aw: boolean
  /** More environment for the daemon (the fuzzer's model server). */
  env?: Record<string, string>
  /** Options for node itself, before the script (the fuzzer's `--inspect`). */
  nodeArgs?: string[]
}

/** One daemon process. */
export class DaemonProcess {
  readonly child: ChildProcess
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  readonly #options: DaemonOptions
  #stderr = ''

  constructor(options: DaemonOptions) {
    this.#options = options
    this.child = spawn(
      process.execPath,
      [
        ...(options.nodeArgs ?? []),
        MAIN,
        'serve',
        '--port',
        '0',
        '--data-dir',
        options.dataDir,
        '--config-dir',
        options.configDir,
        '--log-level',
        'warn',
        ...(options.aw ? ['--aw', '--aw-port', '0'] : []),
      ],
      {
        env: cleanEnv({
          DAYBOOK_TOKEN: TOKEN,
          GET_RATE_LIMIT_MAX_REQUESTS: '1000000000',
          ...options.env,
        }),
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    )
    this.child.stderr?.on('data', (d: Buffer) => (this.#stderr += d.toString()))
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => resolve({ code, signal })),
    )
  }

  get stderr(): string {
    return this.#stderr
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Resolves once the daemon serves (its `listening` line is out); rejects if it exits first. */
  async ready(): Promise<Live> {
    for (;;) {
      if (!this.running) {
        throw new Error(`the daemon exited before it was ready: ${this.#stderr.trim()}`)
      }
      const d = readDiscovery(this.#options.dataDir)
      const line = /^daybook .* listening on (.*)$/m.exec(this.#stderr)?.[1]
      if (d !== undefined && d.pid === this.child.pid && d.port !== null && line !== undefined) {
        const aw = /http:\/\/127\.0\.0\.1:(\d+) \(ActivityWatch API\)/.exec(line)?.[1]
        const live = {
          port: d.port,
          awPort: aw === undefined ? undefined : Number(aw),
          token: TOKEN,
        }
        const ready = await request({ port: live.port }, { path: '/readyz' }).catch(() => undefined)
        if (ready?.status === 200) return live
      }
      await sleep(20)
    }
  }

  /** SIGKILL: no clean-up of any kind. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL')
    await this.exited
  }

  /** SIGTERM: the clean stop; resolves to the exit code. */
  async stop(): Promise<number | null> {
    if (this.running) this.child.kill('SIGTERM')
    return (await this.exited).code
  }
}
