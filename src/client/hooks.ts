/**
 * The typed client's hooks part (admin routes): rules, their statuses and log, the test run,
 * do-not-disturb and the suggestions. Browser-safe like `api.ts`, whose transport it uses; the
 * dashboard's Hooks page and `daybook hooks` read the daemon through it.
 */
import type { Static } from '#typebox'
import type {
  DistancesWire,
  DndBody,
  DndWire,
  HookLogEntryWire,
  HookRuleBody,
  HookRuleWire,
  HookStatusWire,
  KeywordWire,
  SuggestDistancesBody,
} from '../api/schemas/hooks.ts'
import type { DaybookApi } from './api.ts'

export type HookRule = Static<typeof HookRuleWire>
/** A rule as sent: the defaults (name, enabled, cooldown) may be left out. */
export type NewHookRule = Static<typeof HookRuleBody>
export type HookStatus = Static<typeof HookStatusWire>
export type HookLogEntry = Static<typeof HookLogEntryWire>
export type Dnd = Static<typeof DndWire>
export type DndChange = Static<typeof DndBody>
export type KeywordSuggestion = Static<typeof KeywordWire>
export type DistanceSuggestion = Static<typeof DistancesWire>

export class HooksApi {
  readonly #api: DaybookApi

  constructor(api: DaybookApi) {
    this.#api = api
  }

  rules(signal?: AbortSignal): Promise<HookRule[]> {
    return this.#api.request('GET', '/v1/hooks', { signal })
  }

  /** Replaces every rule (one bad rule refuses all: an `ApiError` naming its id and field). */
  setRules(rules: readonly NewHookRule[]): Promise<HookRule[]> {
    return this.#api.request('POST', '/v1/hooks', { body: rules })
  }

  statuses(signal?: AbortSignal): Promise<HookStatus[]> {
    return this.#api.request('GET', '/v1/hooks/statuses', { signal })
  }

  /** The firing log, newest first. */
  log(
    q: { limit?: number; offset?: number; hookId?: string } = {},
    signal?: AbortSignal,
  ): Promise<HookLogEntry[]> {
    return this.#api.request('POST', '/v1/hooks/log', { body: q, signal })
  }

  logCount(hookId?: string, signal?: AbortSignal): Promise<{ count: number }> {
    return this.#api.request('GET', '/v1/hooks/log-count', { query: { hookId }, signal })
  }

  /** Runs a rule's actions once with a sample payload; resolves once they have finished. */
  test(id: string): Promise<HookLogEntry> {
    return this.#api.request('POST', `/v1/hooks/${encodeURIComponent(id)}/test`)
  }

  dnd(signal?: AbortSignal): Promise<Dnd> {
    return this.#api.request('GET', '/v1/settings/dnd/config', { signal })
  }

  /** Changes the keys given. */
  setDnd(change: DndChange): Promise<Dnd> {
    return this.#api.request('POST', '/v1/settings/dnd/config', { body: change })
  }

  suggestKeywords(
    body: { start: string; end: string; limit?: number },
    signal?: AbortSignal,
  ): Promise<KeywordSuggestion[]> {
    return this.#api.request('POST', '/v1/hooks/suggest-keywords', { body, signal })
  }

  suggestDistances(
    body: Static<typeof SuggestDistancesBody>,
    signal?: AbortSignal,
  ): Promise<DistanceSuggestion> {
    return this.#api.request('POST', '/v1/hooks/suggest-distances', { body, signal })
  }
}
