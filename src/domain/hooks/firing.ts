/**
 * Edge triggering: a rule fires once per crossing of its threshold, and never within its cooldown.
 *
 * A rule's state holds a watermark, the last crossing it handled (fired, or let pass within the
 * cooldown). A crossing fires when it comes after the watermark (by instant, then key) and has
 * another key: the same crossing found again (the next evaluation, after a restart, with a late
 * batch that moved it) never fires twice, and a new crossing needs the condition to have been
 * false in between (a new stretch, a new day). The state is stored before the actions run, so a
 * restart cannot fire a crossing twice; a crossing the daemon did not see (it was down) is after
 * the watermark and fires when the daemon is back.
 */
import { type Crossing, byInstant } from './conditions.ts'
import { type HookAction, type HookRule, sameCondition } from './rules.ts'

/** A notification held while do-not-disturb was on, for the log entry it belongs to. */
export interface DeferredNotification {
  logId: number
  /** The index of the action in the log entry. */
  index: number
  action: Extract<HookAction, { kind: 'notify' }>
  payload: unknown
}

export interface HookState {
  /** Crossings up to this one (by instant, then key) are handled. */
  watermark: { at: number; key: string }
  lastFiredMs: number | null
  lastError: string | null
  /** Notifications waiting for do-not-disturb to end (at most `MAX_DEFERRED`). */
  deferred: DeferredNotification[]
}

/** Notifications a rule holds while do-not-disturb is on; older ones are dropped. */
export const MAX_DEFERRED = 20

/**
 * The state of a rule that begins watching at `sinceMs`: crossings before it (history, or time
 * the rule was off) never fire.
 */
export function initialState(sinceMs: number): HookState {
  return { watermark: { at: sinceMs, key: '' }, lastFiredMs: null, lastError: null, deferred: [] }
}

export interface Decision {
  /** Crossings to fire now, in order. */
  fire: Crossing[]
  /** Crossings let pass: within the cooldown. */
  suppressed: Crossing[]
  state: HookState
}

/**
 * Which crossings fire at `nowMs`, and the state after. With `occurrences` every new crossing is
 * considered (a project started, then another); otherwise only the latest (a condition that
 * crossed twice while the daemon was down fires once).
 */
export function decide(
  state: HookState,
  crossings: readonly Crossing[],
  options: { nowMs: number; cooldownMs: number; occurrences: boolean },
): Decision {
  const { watermark } = state
  let fresh = crossings
    .filter((c) => c.at <= options.nowMs && byInstant(c, watermark) > 0 && c.key !== watermark.key)
    .sort(byInstant)
  if (!options.occurrences) fresh = fresh.slice(-1)
  const fire: Crossing[] = []
  const suppressed: Crossing[] = []
  let lastFiredMs = state.lastFiredMs
  let mark = watermark
  for (const c of fresh) {
    if (lastFiredMs !== null && options.nowMs < lastFiredMs + options.cooldownMs) {
      suppressed.push(c)
    } else {
      fire.push(c)
      lastFiredMs = options.nowMs
    }
    mark = { at: c.at, key: c.key }
  }
  return { fire, suppressed, state: { ...state, watermark: mark, lastFiredMs } }
}

/**
 * The state a rule has after the rules were replaced: its own when it is the same rule watching
 * for the same thing and was on; else it begins watching now (a changed condition, a rule turned
 * on: what happened before does not fire). When it last fired is kept, so its cooldown holds.
 */
export function carryState(
  before: { rule: HookRule; state: HookState } | undefined,
  rule: HookRule,
  nowMs: number,
): HookState {
  if (!before) return initialState(nowMs)
  if (before.rule.enabled && rule.enabled && sameCondition(before.rule, rule)) return before.state
  if (!rule.enabled) return before.state
  return {
    ...initialState(nowMs),
    lastFiredMs: before.state.lastFiredMs,
    deferred: before.state.deferred,
  }
}
