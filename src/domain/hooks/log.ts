/** The firing log: what each firing handed its actions and how each action went. */
import type { ActionKind } from './rules.ts'

/** How one action of a firing went. */
export interface HookActionResult {
  kind: ActionKind
  /** Null while it waits (a notification held by do-not-disturb). */
  ok: boolean | null
  /**
   * The HTTP status (webhook), the exit code (command, notify), or a word: `waiting` and
   * `dropped` (do-not-disturb), `timeout`, `interrupted` (the daemon stopped first).
   */
  status: number | string | null
  error: string | null
  durationMs: number
  /** Webhook: the attempts made (1 + retries). */
  attempts?: number | undefined
  /** Command, notify: what it printed (stdout, then stderr), cut at `OUTPUT_LIMIT` characters. */
  output?: string | undefined
}

/** Characters of a command's output the log keeps. */
export const OUTPUT_LIMIT = 4096

/** One firing, as the log keeps it. */
export interface HookLogEntry {
  id: number
  hookId: string
  firedMs: number
  payload: unknown
  /** One per action of the rule, in order; `running` until each has finished. */
  actions: HookActionResult[]
}

/** A firing to log. */
export type NewHookLogEntry = Omit<HookLogEntry, 'id' | 'hookId'>

/** The result of an action that has not finished yet. */
export function runningResult(kind: ActionKind): HookActionResult {
  return { kind, ok: null, status: 'running', error: null, durationMs: 0 }
}

/**
 * The results after the daemon stopped while actions ran: those still `running` never finished
 * (they are not run again: a firing may not happen twice). Undefined when none was running.
 */
export function interruptRunning(
  actions: readonly HookActionResult[],
): HookActionResult[] | undefined {
  if (!actions.some((a) => a.status === 'running')) return undefined
  return actions.map((a) =>
    a.status === 'running'
      ? {
          ...a,
          ok: false,
          status: 'interrupted',
          error: 'the daemon stopped before this action finished',
        }
      : a,
  )
}
