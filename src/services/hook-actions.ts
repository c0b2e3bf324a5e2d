/**
 * What a hook does when it fires: a desktop notification, a signed webhook, a command, a label, a
 * stream event. Each action is asynchronous I/O (a child process, an HTTP request, a store write)
 * started after the firing was stored; nothing here is awaited by a request or by ingest, and
 * every outcome, failures included, becomes a `HookActionResult` for the log.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { SETTING_VARIABLES } from '../config/settings.ts'
import { HOOK_LABEL_CONTEXT } from '../domain/hooks/conditions.ts'
import { type HookActionResult, OUTPUT_LIMIT } from '../domain/hooks/log.ts'
import type { HookAction, HookRule } from '../domain/hooks/rules.ts'
import type { TimeRange } from '../domain/calendar.ts'
import type { Bus } from './bus.ts'
import type { LabelService } from './labels.ts'

export interface HookActionOptions {
  /** The environment commands and notifiers run with (default: the daemon's, see `commandEnv`). */
  env?: NodeJS.ProcessEnv
  /** Which notifier to use (default: this process's platform). */
  platform?: NodeJS.Platform
  /** Per webhook attempt (5 s). */
  webhookTimeoutMs?: number
  /** Attempts after the first (3). */
  webhookRetries?: number
  /** The first retry's wait; each further one waits twice as long (1 s). */
  webhookBackoffMs?: number
  /** How long a command (or a notifier) may run (10 s). */
  commandTimeoutMs?: number
}

/** What an action is run for. */
export interface ActionContext {
  rule: HookRule
  /** The JSON handed to webhooks, commands and the stream. */
  payload: unknown
  /** The stretch that matched (a `label` action labels it). */
  range: TimeRange
  /** Aborted when the daemon stops. */
  signal: AbortSignal
}

/**
 * The environment of a hook's command: the daemon's, without anything Daybook is configured by
 * (`DAYBOOK_*`, `ACTIVITY_*` and the other setting variables: a token must not leak into a
 * script), plus the payload.
 */
export function commandEnv(
  base: NodeJS.ProcessEnv,
  extra: Record<string, string>,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(base)) {
    if (name.startsWith('DAYBOOK_') || name.startsWith('ACTIVITY_')) continue
    if (SETTING_VARIABLES.includes(name)) continue
    env[name] = value
  }
  return { ...env, ...extra }
}

/** `sha256=<hex HMAC-SHA256 of body>`: the `X-Daybook-Signature` of a webhook with a secret. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

function cut(text: string): string {
  return text.length <= OUTPUT_LIMIT ? text : `${text.slice(0, OUTPUT_LIMIT)}… (cut)`
}

export class HookActions {
  readonly #labels: LabelService
  readonly #bus: Bus
  readonly #env: NodeJS.ProcessEnv
  readonly #platform: NodeJS.Platform
  readonly #webhook: { timeoutMs: number; retries: number; backoffMs: number }
  readonly #commandTimeoutMs: number

  constructor(deps: { labels: LabelService; bus: Bus; options?: HookActionOptions | undefined }) {
    const o = deps.options ?? {}
    this.#labels = deps.labels
    this.#bus = deps.bus
    this.#env = o.env ?? process.env
    this.#platform = o.platform ?? process.platform
    this.#webhook = {
      timeoutMs: o.webhookTimeoutMs ?? 5_000,
      retries: o.webhookRetries ?? 3,
      backoffMs: o.webhookBackoffMs ?? 1_000,
    }
    this.#commandTimeoutMs = o.commandTimeoutMs ?? 10_000
  }

  /** Runs one action; never throws (a failure is a result). */
  async run(action: HookAction, ctx: ActionContext): Promise<HookActionResult> {
    const started = performance.now()
    const done = (r: Omit<HookActionResult, 'kind' | 'durationMs'>): HookActionResult => ({
      kind: action.kind,
      ...r,
      durationMs: Math.round(performance.now() - started),
    })
    try {
      switch (action.kind) {
        case 'notify':
          return done(await this.#notify(action, ctx))
        case 'webhook':
          return done(await this.#post(action.url, action.secret, ctx))
        case 'command':
          return done(await this.#command(action.argv, ctx))
        case 'label': {
          const label = await this.#labels.create({
            text: action.text ?? ctx.rule.name,
            context: `${HOOK_LABEL_CONTEXT}${ctx.rule.id}${action.context === undefined ? '' : `\n${action.context}`}`,
            startMs: ctx.range.startMs,
            endMs: Math.max(ctx.range.startMs, ctx.range.endMs),
          })
          return done({ ok: true, status: null, error: null, output: label.id })
        }
        case 'stream':
          this.#bus.publish({ type: 'hook', payload: ctx.payload })
          return done({ ok: true, status: null, error: null })
      }
    } catch (err) {
      return done({ ok: false, status: null, error: (err as Error).message })
    }
  }

  /** The desktop's own notifier: notify-send, osascript, or a PowerShell toast. */
  async #notify(
    action: Extract<HookAction, { kind: 'notify' }>,
    ctx: ActionContext,
  ): Promise<Omit<HookActionResult, 'kind' | 'durationMs'>> {
    const payload = ctx.payload as { condition?: { text?: string } }
    const title = action.title ?? ctx.rule.name
    const message = action.message ?? payload.condition?.text ?? ''
    let argv: string[]
    let env = this.#env
    switch (this.#platform) {
      case 'linux':
      case 'freebsd':
      case 'openbsd':
        argv = ['notify-send', '--app-name=Daybook', title, message]
        break
      case 'darwin':
        // The texts are arguments of the script, never part of its source.
        argv = [
          'osascript',
          '-e',
          'on run argv',
          '-e',
          'display notification (item 2 of argv) with title (item 1 of argv)',
          '-e',
          'end run',
          title,
          message,
        ]
        break
      case 'win32':
        env = { ...env, DAYBOOK_NOTIFY_TITLE: title, DAYBOOK_NOTIFY_MESSAGE: message }
        argv = ['powershell.exe', '-NoProfile', '-NonInteractive', '-Command', WINDOWS_TOAST]
        break
      default:
        return {
          ok: false,
          status: null,
          error: `no desktop notifier is known on ${this.#platform}`,
        }
    }
    const result = await this.#spawn(argv, { env, signal: ctx.signal })
    if (result.missing) {
      const hint =
        argv[0] === 'notify-send'
          ? ' (install libnotify-bin, or libnotify on your distribution)'
          : ''
      return { ok: false, status: null, error: `${argv[0]} was not found on PATH${hint}` }
    }
    return result.outcome
  }

  /** POSTs the payload: 5 s per attempt, retried 3 times with backoff on errors, 429 and 5xx. */
  async #post(
    url: string,
    secret: string | undefined,
    ctx: ActionContext,
  ): Promise<Omit<HookActionResult, 'kind' | 'durationMs'>> {
    const body = JSON.stringify(ctx.payload)
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'daybook-hooks',
      'x-daybook-hook': ctx.rule.id,
    }
    if (secret !== undefined) headers['x-daybook-signature'] = webhookSignature(secret, body)
    const { timeoutMs, retries, backoffMs } = this.#webhook
    let last: Omit<HookActionResult, 'kind' | 'durationMs'> = {
      ok: false,
      status: null,
      error: null,
    }
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      if (attempt > 1) {
        const stopped = await pause(backoffMs * 2 ** (attempt - 2), ctx.signal)
        if (stopped) break
      }
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers,
          body,
          // A redirect would turn the POST into something else: it is reported, not followed.
          redirect: 'manual',
          signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]),
        })
        await res.body?.cancel()
        const ok = res.status >= 200 && res.status < 300
        last = {
          ok,
          status: res.status,
          error: ok
            ? null
            : res.status >= 300 && res.status < 400
              ? `answered ${res.status}: redirects are not followed`
              : `answered ${res.status}`,
          attempts: attempt,
        }
        if (ok || !(res.status === 429 || res.status >= 500)) return last
      } catch (err) {
        const e = err as Error
        const timedOut = e.name === 'TimeoutError'
        const cause = (e.cause as Error | undefined)?.message
        last = {
          ok: false,
          status: timedOut ? 'timeout' : null,
          error: timedOut
            ? `no answer within ${timeoutMs / 1000} s`
            : ctx.signal.aborted
              ? 'the daemon stopped'
              : `${e.message}${cause ? `: ${cause}` : ''}`,
          attempts: attempt,
        }
      }
      if (ctx.signal.aborted) break
    }
    return last
  }

  /** Runs argv without a shell: the payload on stdin and in `DAYBOOK_HOOK_PAYLOAD`. */
  async #command(
    argv: readonly string[],
    ctx: ActionContext,
  ): Promise<Omit<HookActionResult, 'kind' | 'durationMs'>> {
    const payload = JSON.stringify(ctx.payload)
    const env = commandEnv(this.#env, {
      DAYBOOK_HOOK_PAYLOAD: payload,
      DAYBOOK_HOOK_ID: ctx.rule.id,
    })
    const result = await this.#spawn(argv, { env, stdin: payload, signal: ctx.signal })
    if (result.missing) return { ok: false, status: null, error: `${argv[0]} was not found` }
    return result.outcome
  }

  /** Runs a program to its end or its timeout, keeping the start of what it printed. */
  #spawn(
    argv: readonly string[],
    o: { env: NodeJS.ProcessEnv; stdin?: string; signal: AbortSignal },
  ): Promise<{ missing: boolean; outcome: Omit<HookActionResult, 'kind' | 'durationMs'> }> {
    return new Promise((resolve) => {
      let child: ChildProcess
      try {
        child = spawn(argv[0] as string, argv.slice(1), {
          env: o.env,
          stdio: ['pipe', 'pipe', 'pipe'],
          windowsHide: true,
        })
      } catch (err) {
        resolve({
          missing: false,
          outcome: { ok: false, status: null, error: (err as Error).message },
        })
        return
      }
      let output = ''
      const keep = (chunk: Buffer) => {
        if (output.length <= OUTPUT_LIMIT) output += chunk.toString('utf8')
      }
      child.stdout?.on('data', keep)
      child.stderr?.on('data', keep)
      // A program that does not read its stdin must not fail the action.
      child.stdin?.on('error', () => undefined)
      child.stdin?.end(o.stdin ?? '')
      let timedOut = false
      const kill = () => child.kill('SIGKILL')
      const timer = setTimeout(() => {
        timedOut = true
        kill()
      }, this.#commandTimeoutMs)
      o.signal.addEventListener('abort', kill, { once: true })
      child.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        o.signal.removeEventListener('abort', kill)
        resolve({
          missing: err.code === 'ENOENT',
          outcome: { ok: false, status: null, error: err.message },
        })
      })
      child.once('close', (code, signal) => {
        clearTimeout(timer)
        o.signal.removeEventListener('abort', kill)
        const out = cut(output.trimEnd())
        const printed = out === '' ? {} : { output: out }
        if (timedOut) {
          const error = `did not finish within ${this.#commandTimeoutMs / 1000} s; killed`
          resolve({ missing: false, outcome: { ok: false, status: 'timeout', error, ...printed } })
        } else if (code === 0) {
          resolve({ missing: false, outcome: { ok: true, status: 0, error: null, ...printed } })
        } else {
          const error =
            code === null
              ? `killed by ${signal ?? 'a signal'}${o.signal.aborted ? ' (the daemon stopped)' : ''}`
              : `exited with status ${code}`
          resolve({ missing: false, outcome: { ok: false, status: code, error, ...printed } })
        }
      })
    })
  }
}

/** Waits `ms`, or less when `signal` aborts; resolves to true when it did. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve(true)
      return
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop)
      resolve(false)
    }, ms)
    const stop = () => {
      clearTimeout(timer)
      resolve(true)
    }
    signal.addEventListener('abort', stop, { once: true })
  })
}

/** A toast through the Windows Runtime, its texts read from the environment (never the script). */
const WINDOWS_TOAST = [
  '[Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime] | Out-Null',
  '$t = [Windows.UI.Notifications.ToastNotificationManager]::GetTemplateContent([Windows.UI.Notifications.ToastTemplateType]::ToastText02)',
  '$n = $t.GetElementsByTagName("text")',
  '$n.Item(0).AppendChild($t.CreateTextNode($env:DAYBOOK_NOTIFY_TITLE)) | Out-Null',
  '$n.Item(1).AppendChild($t.CreateTextNode($env:DAYBOOK_NOTIFY_MESSAGE)) | Out-Null',
  '[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier("Daybook").Show([Windows.UI.Notifications.ToastNotification]::new($t))',
].join('; ')
