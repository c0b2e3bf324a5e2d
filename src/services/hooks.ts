/**
 * Hooks: rules evaluated over the live data, firing their actions once per crossing.
 *
 * Evaluation runs after commits that touch recent time (from the after-commit bus; batches
 * arriving meanwhile are taken together, at most one evaluation a second) and on a timer (15 s:
 * conditions that become true as time passes, such as a break not taken). It reads the active
 * timeline once for all rules (`ActiveTimeService.segments`, the one definition of active time),
 * as far back as the rules and any late data need, and the domain decides what fires
 * (`src/domain/hooks/`). A firing's state and log entry are stored before its actions start; the
 * actions run on their own (`HookActions`), so neither ingest nor a request ever waits for one.
 *
 * Rule state has one writer, this service: evaluations, rule changes and action outcomes are
 * applied one at a time, in order, to an in-memory copy that every write also stores.
 */
import {
  type Calendar,
  bucketNext,
  dateLabel,
  logicalDate,
  dayStartMs,
} from '../domain/calendar.ts'
import type { Clock } from '../domain/clock.ts'
import { ForbiddenError, NotFoundError } from '../domain/errors.ts'
import {
  type Day,
  type HookView,
  type Progress,
  OCCURRENCE_KINDS,
  evaluateCondition,
  lookbackMs,
  readsTimeline,
} from '../domain/hooks/conditions.ts'
import { type DndConfig, checkDnd, dndReason } from '../domain/hooks/dnd.ts'
import {
  type DeferredNotification,
  type HookState,
  MAX_DEFERRED,
  HANDLED_HORIZON_MS,
  carryState,
  decide,
} from '../domain/hooks/firing.ts'
import { type HookActionResult, type HookLogEntry, runningResult } from '../domain/hooks/log.ts'
import { type HookPayload, hookPayload, sampleCrossing } from '../domain/hooks/payload.ts'
import { type HookRule, type HookRuleInput, checkRules } from '../domain/hooks/rules.ts'
import { calendarFor } from '../domain/settings.ts'
import { HOUR_MS, MINUTE_MS } from '../domain/time.ts'
import type { Crossing } from '../domain/hooks/conditions.ts'
import type { Store, StoredHook } from '../store/ports.ts'
import type { ActiveTimeService } from './active-time.ts'
import type { Bus, BusMessage } from './bus.ts'
import { type HookActionOptions, HookActions } from './hook-actions.ts'
import type { LabelService } from './labels.ts'
import type { SettingsService } from './settings.ts'

export interface HookServiceOptions extends HookActionOptions {
  /** Evaluation on a timer, at most this far apart (15 s). */
  intervalMs?: number
  /** Evaluations after commits are at least this far apart (1 s). */
  settleMs?: number
  /** Log entries kept (10,000). */
  logKeep?: number
  /**
   * Whether rules may run commands and show notifications on this machine (default true). Off
   * in a team server's users' diaries: those run as the daemon, beside every other user's data.
   */
  localActions?: boolean
}

/** Actions that run on the daemon's machine as the daemon's user. */
const LOCAL_ACTIONS: readonly string[] = ['command', 'notify']

/** The most timeline one evaluation reads: a local day (25 hours at a DST change) and an hour. */
const MAX_WINDOW_MS = 26 * HOUR_MS

/** How a rule is doing, as `GET /v1/hooks/statuses` answers. */
export interface HookStatus {
  id: string
  enabled: boolean
  lastFiredMs: number | null
  nextEvaluationMs: number | null
  progress: Progress | null
  lastError: string | null
  /** Notifications held by do-not-disturb. */
  waiting: number
}

export class HookService {
  readonly #store: () => Store
  readonly #clock: Clock
  readonly #bus: Bus
  readonly #activeTime: ActiveTimeService
  readonly #settings: SettingsService
  readonly #actions: HookActions
  readonly #onError: (err: unknown, what: string) => void
  readonly #intervalMs: number
  readonly #settleMs: number
  readonly #logKeep: number
  readonly #localActions: boolean

  /** The rules and their state (loaded at start; every write goes through here). */
  #hooks: StoredHook[] = []
  #dnd: DndConfig | undefined
  #progress = new Map<string, Progress | null>()
  #evaluatedMs: number | undefined
  /** The earliest instant data changed at since the last evaluation (+∞: none). */
  #dirtyFrom = Infinity
  #started = false
  #stopping = new AbortController()
  #timer: NodeJS.Timeout | undefined
  #settleTimer: NodeJS.Timeout | undefined
  #lastSettled = 0
  #unsubscribe: (() => void) | undefined
  /** The one queue of state changes. */
  #chain: Promise<unknown> = Promise.resolve()
  #inflight = new Set<Promise<unknown>>()
  /** An evaluation queued and not yet running. */
  #waiting: Promise<void> | undefined
  #prunedMs = 0

  constructor(deps: {
    store: () => Store
    clock: Clock
    bus: Bus
    activeTime: ActiveTimeService
    settings: SettingsService
    labels: LabelService
    onError?: (err: unknown, what: string) => void
    options?: HookServiceOptions | undefined
  }) {
    this.#store = deps.store
    this.#clock = deps.clock
    this.#bus = deps.bus
    this.#activeTime = deps.activeTime
    this.#settings = deps.settings
    this.#onError = deps.onError ?? (() => undefined)
    this.#actions = new HookActions({ labels: deps.labels, bus: deps.bus, options: deps.options })
    this.#intervalMs = deps.options?.intervalMs ?? 15_000
    this.#settleMs = deps.options?.settleMs ?? 1_000
    this.#logKeep = deps.options?.logKeep ?? 10_000
    this.#localActions = deps.options?.localActions ?? true
  }

  /**
   * Starts evaluating, once the store is open: closes log entries a stopped daemon left running,
   * loads the rules, listens to the bus, starts the timer, and evaluates (catching up on the
   * crossings of the last day). Idempotent.
   */
  start(): Promise<void> {
    if (this.#started) return this.#chain.then(() => undefined)
    this.#started = true
    this.#unsubscribe = this.#bus.subscribe((m) => this.#onBus(m))
    this.#timer = setInterval(() => void this.evaluate(), this.#intervalMs)
    this.#timer.unref()
    return this.#enqueue(async () => {
      const store = this.#store()
      const interrupted = await store.hooks.closeRunning()
      if (interrupted > 0) {
        this.#onError(
          new Error(`${interrupted} hook firings had actions running when the daemon stopped`),
          'hooks',
        )
      }
      this.#hooks = await store.hooks.list()
      this.#dirtyFrom = -Infinity
      await this.#evaluate()
    })
  }

  /** Stops evaluating; actions still running are stopped and their outcome logged. */
  async stop(): Promise<void> {
    if (!this.#started) return
    this.#started = false
    this.#unsubscribe?.()
    clearInterval(this.#timer)
    clearTimeout(this.#settleTimer)
    this.#settleTimer = undefined
    this.#stopping.abort()
    await this.idle()
  }

  /** Resolves once no evaluation is queued and no action runs (tests wait on this). */
  async idle(): Promise<void> {
    for (;;) {
      const chain = this.#chain
      await chain.catch(() => undefined)
      await Promise.allSettled([...this.#inflight])
      if (chain === this.#chain && this.#inflight.size === 0 && this.#settleTimer === undefined)
        return
      if (this.#settleTimer !== undefined) await new Promise((r) => setTimeout(r, this.#settleMs))
    }
  }

  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(work, work)
    this.#chain = next.catch(() => undefined)
    return next
  }

  /** Evaluates every rule now (the timer's and the bus's work; tests call it after moving the clock). */
  evaluate(): Promise<void> {
    if (!this.#started) return Promise.resolve()
    // One evaluation waiting is enough: it reads the clock and the data when it runs, so the
    // timer and the bus never pile evaluations up behind a slow one.
    this.#waiting ??= this.#enqueue(() => {
      this.#waiting = undefined
      return this.#evaluate()
    }).catch((err: unknown) => this.#onError(err, 'hook evaluation failed'))
    return this.#waiting
  }

  #onBus(message: BusMessage): void {
    if (!this.#hooks.some((h) => h.rule.enabled)) return
    const oldest = this.#clock() - MAX_WINDOW_MS
    let from = Infinity
    let relevant = false
    if (message.type === 'changes') {
      for (const c of message.changes) {
        if (c.kind === 'event' && c.op === 'upsert') {
          // History far back (an import, a bench) changes no condition: no evaluation for it.
          if (c.event.endMs < oldest) continue
          from = Math.min(from, c.event.startMs)
        } else if (c.kind === 'afk' && c.op === 'upsert') {
          if ((c.afk.endMs ?? Infinity) < oldest) continue
          from = Math.min(from, c.afk.startMs)
        }
        relevant = true
      }
    } else if (message.type === 'input') {
      // Input is presence (its AFK changes come as changes) and a collector's sign of life: only
      // recent input may change a progress.
      relevant = message.samples.some((sample) => sample.bucketMs >= oldest)
    }
    if (!relevant) return
    this.#dirtyFrom = Math.min(this.#dirtyFrom, Math.max(from, oldest))
    if (this.#settleTimer !== undefined) return
    // Batches that arrive while one evaluation waits or runs are taken together.
    const wait = Math.max(0, this.#lastSettled + this.#settleMs - performance.now())
    this.#settleTimer = setTimeout(() => {
      this.#lastSettled = performance.now()
      this.#settleTimer = undefined
      void this.evaluate()
    }, wait)
    this.#settleTimer.unref()
  }

  async #view(enabled: readonly HookRule[], nowMs: number, cal: Calendar): Promise<HookView> {
    const store = this.#store()
    const timeline = enabled.filter((r) => readsTimeline(r.when.kind))
    const lookback = Math.max(0, ...timeline.map((r) => lookbackMs(r.when)))
    let from = Math.min(nowMs, this.#dirtyFrom) - lookback
    const today = dayStartMs(logicalDate(nowMs, cal), cal)
    if (timeline.some((r) => r.when.kind === 'budget')) from = Math.min(from, today)
    from = Math.max(from, nowMs - MAX_WINDOW_MS)
    const days: Day[] = []
    for (let start = dayStartMs(logicalDate(from, cal), cal); start <= nowMs;) {
      const end = bucketNext(start, 'day', cal)
      days.push({ label: dateLabel(start, cal), startMs: start, endMs: end })
      start = end
    }
    const [segments, collectors, labels] = await Promise.all([
      timeline.length > 0 ? this.#activeTime.segments({ startMs: from, endMs: nowMs }) : [],
      enabled.some((r) => r.when.kind === 'silent_collector') ? store.status.collectors() : [],
      enabled.some((r) => r.when.kind === 'label')
        ? store.labels.list({ limit: 500 })
        : Promise.resolve([]),
    ])
    return {
      nowMs,
      windowStartMs: from,
      segments,
      days,
      collectors,
      labels: labels.filter((l) => l.createdMs >= nowMs - HANDLED_HORIZON_MS),
    }
  }

  async #evaluate(): Promise<void> {
    const store = this.#store()
    const nowMs = this.#clock()
    const settings = await this.#settings.get()
    const cal = calendarFor(settings)
    const enabled = this.#hooks.filter((h) => h.rule.enabled).map((h) => h.rule)
    this.#dnd ??= await store.hooks.dnd()
    const quiet = dndReason(this.#dnd, nowMs, cal.timeZone) !== null
    const view = enabled.length > 0 ? await this.#view(enabled, nowMs, cal) : undefined
    this.#dirtyFrom = Infinity
    for (const hook of [...this.#hooks]) {
      const { rule } = hook
      if (!rule.enabled || !view) {
        this.#progress.set(rule.id, null)
        if (!quiet && hook.state.deferred.length > 0) await this.#release(hook)
        continue
      }
      const evaluation = evaluateCondition(rule.when, view)
      this.#progress.set(rule.id, evaluation.progress)
      const decision = decide(hook.state, evaluation.crossings, {
        nowMs,
        cooldownMs: rule.cooldownMinutes * MINUTE_MS,
        occurrences: OCCURRENCE_KINDS.has(rule.when.kind),
      })
      if (decision.fire.length > 0 || decision.suppressed.length > 0) {
        await this.#fire(hook, decision.state, decision.fire, nowMs, quiet)
      }
      if (!quiet && hook.state.deferred.length > 0) await this.#release(hook)
    }
    this.#evaluatedMs = nowMs
    if (nowMs - this.#prunedMs > HOUR_MS) {
      this.#prunedMs = nowMs
      await store.hooks.pruneLog(this.#logKeep)
    }
  }

  /** Stores the new state and the firings, then starts their actions. */
  async #fire(
    hook: StoredHook,
    state: HookState,
    crossings: readonly Crossing[],
    nowMs: number,
    quiet: boolean,
  ): Promise<void> {
    const { rule } = hook
    const payloads = crossings.map((c) => hookPayload(rule, c, nowMs))
    const ids = await this.#store().hooks.saveState(
      rule.id,
      state,
      payloads.map((payload) => ({
        firedMs: nowMs,
        payload,
        actions: rule.then.map((a) => runningResult(a.kind)),
      })),
    )
    if (ids === null) return
    hook.state = state
    crossings.forEach((c, i) =>
      this.#dispatch(hook, ids[i] as number, payloads[i] as HookPayload, c, quiet),
    )
  }

  /**
   * Runs a firing's actions (notifications held or dropped while do-not-disturb is on), then logs
   * how they went and keeps the rule's last error.
   */
  #dispatch(
    hook: StoredHook,
    logId: number,
    payload: HookPayload,
    crossing: Crossing,
    quiet: boolean,
  ): void {
    const { rule } = hook
    const held: DeferredNotification[] = []
    const running = Promise.all(
      rule.then.map(async (action, index): Promise<HookActionResult> => {
        if (action.kind === 'notify' && quiet) {
          if ((action.dnd ?? 'wait') === 'drop') {
            return { kind: 'notify', ok: true, status: 'dropped', error: null, durationMs: 0 }
          }
          held.push({ logId, index, action, payload })
          return { kind: 'notify', ok: null, status: 'waiting', error: null, durationMs: 0 }
        }
        return this.#actions.run(action, {
          rule,
          payload,
          range: crossing.range,
          signal: this.#stopping.signal,
        })
      }),
    ).then((results) =>
      this.#enqueue(async () => {
        const store = this.#store()
        await store.hooks.updateActions(
          logId,
          results.map((result, index) => ({ index, result })),
        )
        const failed = results.find((r) => r.ok === false)
        const lastError = failed ? `${failed.kind}: ${failed.error ?? 'failed'}` : null
        const current = this.#hooks.find((h) => h.rule.id === rule.id)
        if (!current) return
        const deferred = [...current.state.deferred, ...held].slice(-MAX_DEFERRED)
        if (lastError === current.state.lastError && held.length === 0) return
        const state = { ...current.state, lastError, deferred }
        if ((await store.hooks.saveState(rule.id, state)) !== null) current.state = state
      }),
    )
    this.#track(running)
  }

  /** Sends the notifications do-not-disturb held, now that it is over. */
  async #release(hook: StoredHook): Promise<void> {
    const deferred = hook.state.deferred
    const state = { ...hook.state, deferred: [] }
    if ((await this.#store().hooks.saveState(hook.rule.id, state)) === null) return
    hook.state = state
    for (const d of deferred) {
      const sent = this.#actions
        .run(d.action, {
          rule: hook.rule,
          payload: d.payload,
          range: { startMs: 0, endMs: 0 },
          signal: this.#stopping.signal,
        })
        .then((result) =>
          this.#enqueue(() =>
            this.#store().hooks.updateActions(d.logId, [{ index: d.index, result }]),
          ),
        )
      this.#track(sent)
    }
  }

  #track(work: Promise<unknown>): void {
    const tracked = work.catch((err: unknown) => this.#onError(err, 'a hook action failed'))
    this.#inflight.add(tracked)
    void tracked.finally(() => this.#inflight.delete(tracked))
  }

  // ---- what the routes call ------------------------------------------------------------------

  /** The rules, in order. */
  async rules(): Promise<HookRule[]> {
    return (await this.#loaded()).map((h) => h.rule)
  }

  async #loaded(): Promise<StoredHook[]> {
    if (!this.#started) this.#hooks = await this.#store().hooks.list()
    else await this.#chain
    return this.#hooks
  }

  /**
   * Replaces every rule (checked as a whole: one bad rule refuses all). A rule that keeps its id
   * and condition keeps its state; the others start watching now. Resolves once the new rules
   * have been evaluated.
   */
  async replace(input: readonly HookRuleInput[]): Promise<HookRule[]> {
    const rules = checkRules(input)
    if (!this.#localActions) {
      for (const [i, rule] of rules.entries()) {
        const local = rule.then.find((a) => LOCAL_ACTIONS.includes(a.kind))
        if (local) {
          throw new ForbiddenError(
            'local_action_not_allowed',
            `a ${local.kind} action runs on the server as the daemon; only the owner's rules may have one`,
            `/${i}/then`,
          )
        }
      }
    }
    return this.#enqueue(async () => {
      const nowMs = this.#clock()
      const before = new Map(this.#hooks.map((h) => [h.rule.id, h]))
      const next = rules.map((rule) => ({
        rule,
        state: carryState(before.get(rule.id), rule, nowMs),
      }))
      await this.#store().hooks.replace(next)
      this.#hooks = next
      this.#progress = new Map()
      if (this.#started) await this.#evaluate()
      return rules
    })
  }

  /** Each rule's progress, last firing and last error. */
  async statuses(): Promise<HookStatus[]> {
    const hooks = await this.#loaded()
    const next =
      this.#evaluatedMs === undefined || !this.#started
        ? null
        : this.#evaluatedMs + this.#intervalMs
    return hooks.map(({ rule, state }) => ({
      id: rule.id,
      enabled: rule.enabled,
      lastFiredMs: state.lastFiredMs,
      nextEvaluationMs: rule.enabled ? next : null,
      progress: this.#progress.get(rule.id) ?? null,
      lastError: state.lastError,
      waiting: state.deferred.length,
    }))
  }

  log(q: { limit: number; offset: number; hookId?: string | undefined }): Promise<HookLogEntry[]> {
    return this.#store().hooks.log(q)
  }

  logCount(hookId?: string): Promise<number> {
    return this.#store().hooks.logCount(hookId)
  }

  /**
   * Runs a rule's actions once with a sample payload (`test: true`), do-not-disturb or not, logs
   * the firing and resolves to its entry once every action has finished.
   */
  async test(id: string): Promise<HookLogEntry> {
    const hooks = await this.#loaded()
    const hook = hooks.find((h) => h.rule.id === id)
    if (!hook) throw new NotFoundError('no_such_hook', `no hook rule with id ${JSON.stringify(id)}`)
    const { rule } = hook
    const nowMs = this.#clock()
    const own = (await this.#store().devices.list()).find((d) => d.own)?.name ?? 'this device'
    const crossing = sampleCrossing(rule, nowMs, own)
    const payload = hookPayload(rule, crossing, nowMs, true)
    const actions = rule.then.map((a) => runningResult(a.kind))
    // The state as it is when the entry is logged (an evaluation may have changed it since).
    const ids = await this.#enqueue(() => {
      const state = this.#hooks.find((h) => h.rule.id === id)?.state ?? hook.state
      return this.#store().hooks.saveState(rule.id, state, [{ firedMs: nowMs, payload, actions }])
    })
    if (ids === null) {
      throw new NotFoundError('no_such_hook', `no hook rule with id ${JSON.stringify(id)}`)
    }
    const logId = ids[0] as number
    const work = Promise.all(
      rule.then.map((action) =>
        this.#actions.run(action, {
          rule,
          payload,
          range: crossing.range,
          signal: this.#stopping.signal,
        }),
      ),
    )
    this.#track(work)
    const results = await work
    await this.#enqueue(() =>
      this.#store().hooks.updateActions(
        logId,
        results.map((result, index) => ({ index, result })),
      ),
    )
    return { id: logId, hookId: rule.id, firedMs: nowMs, payload, actions: results }
  }

  /** The do-not-disturb settings, and whether it is on now (and why). */
  async dnd(): Promise<{ config: DndConfig; active: 'manual' | 'quiet_hours' | null }> {
    const config = await this.#store().hooks.dnd()
    const cal = calendarFor(await this.#settings.get())
    return { config, active: dndReason(config, this.#clock(), cal.timeZone) }
  }

  /** Saves do-not-disturb settings; held notifications go out at the next evaluation once it is off. */
  async setDnd(
    config: DndConfig,
  ): Promise<{ config: DndConfig; active: 'manual' | 'quiet_hours' | null }> {
    checkDnd(config)
    await this.#enqueue(async () => {
      await this.#store().hooks.saveDnd(config)
      this.#dnd = config
    })
    void this.evaluate()
    return this.dnd()
  }
}
