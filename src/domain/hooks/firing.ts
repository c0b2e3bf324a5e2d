/**
 * Edge triggering: a rule fires once per crossing of its threshold, and never within its cooldown.
 *
 * A rule's state says which crossings it has handled (fired, or let pass within the cooldown).
 * For a condition (a stretch, a day's budget, a break, a return) that is a watermark, the last
 * crossing handled: a crossing fires when it comes after it (by instant, then key) and has another
 * key, so the same crossing found again (the next evaluation, after a restart, moved by a late
 * batch) never fires twice, a new one needs the condition to have been false in between (a new
 * stretch, a new day), and a crossing older than the last one fired is stale. Occurrences (a
 * project started, a collector fell silent, a label) are independent of each other and their data
 * may arrive late and out of order, so the keys handled lately are kept instead.
 *
 * The state is stored before the actions run, so a restart cannot fire a crossing twice; a
 * crossing the daemon did not see (it was down) is unhandled and fires when it is back.
 */
import { type Crossing, byInstant } from './conditions.ts'
import { type HookAction, type HookRule, sameCondition } from './rules.ts'
import { DAY_MS } from '../time.ts'

/** A notification held while do-not-disturb was on, for the log entry it belongs to. */
export interface DeferredNotification {
  logId: number
  /** The index of the action in the log entry. */
  index: number
  action: Extract<HookAction, { kind: 'notify' }>
  payload: unknown
}

export interface HookState {
  /** When the rule began watching: crossings before never fire. */
  sinceMs: number
  /** Conditions: the last crossing handled (by instant, then key). */
  watermark: { at: number; key: string } | null
  /** Occurrences: the crossings handled within `HANDLED_HORIZON_MS`. */
  handled: { at: number; key: string }[]
  lastFiredMs: number | null
  lastError: string | null
  /** Notifications waiting for do-not-disturb to end (at most `MAX_DEFERRED`). */
  deferred: DeferredNotification[]
}

/**
 * How far back occurrences are remembered, and the oldest that still fire: more than any
 * evaluation reads (a day of timeline and the day before), so a remembered key cannot come back.
 */
export const HANDLED_HORIZON_MS = 3 * DAY_MS

/** Notifications a rule holds while do-not-disturb is on; older ones are dropped. */
export const MAX_DEFERRED = 20

/**
 * The state of a rule that begins watching at `sinceMs`: crossings before it (history, or time
 * the rule was off) never fire.
 */
export function initialState(sinceMs: number): HookState {
  return {
    sinceMs,
    watermark: null,
    handled: [],
    lastFiredMs: null,
    lastError: null,
    deferred: [],
  }
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
  const { nowMs } = options
  const candidates = crossings.filter((c) => c.at >= state.sinceMs && c.at <= nowMs)
  let fresh: Crossing[]
  let next: HookState
  if (options.occurrences) {
    const horizon = nowMs - HANDLED_HORIZON_MS
    const handled = new Set(state.handled.map((h) => h.key))
    fresh = candidates.filter((c) => c.at >= horizon && !handled.has(c.key)).sort(byInstant)
    next = {
      ...state,
      handled: [...state.handled, ...fresh.map((c) => ({ at: c.at, key: c.key }))].filter(
        (h) => h.at >= horizon,
      ),
    }
  } else {
    const mark = state.watermark
    const latest = candidates
      .filter((c) => mark === null || (byInstant(c, mark) > 0 && c.key !== mark.key))
      .sort(byInstant)
      .at(-1)
    fresh = latest ? [latest] : []
    next = latest ? { ...state, watermark: { at: latest.at, key: latest.key } } : state
  }
  const fire: Crossing[] = []
  const suppressed: Crossing[] = []
  let lastFiredMs = state.lastFiredMs
  for (const c of fresh) {
    if (lastFiredMs !== null && nowMs < lastFiredMs + options.cooldownMs) suppressed.push(c)
    else {
      fire.push(c)
      lastFiredMs = nowMs
    }
  }
  return { fire, suppressed, state: { ...next, lastFiredMs } }
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
