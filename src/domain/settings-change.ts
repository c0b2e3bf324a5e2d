/**
 * What a change of settings does to what is stored. Most settings only change how answers are
 * computed; three change stored or cached results, and every store applies the same effects.
 */
import type { Settings } from './settings.ts'

/** The effects of replacing `before` with `after`. */
export interface SettingsEffects {
  /**
   * Every stretch with active time is resolved again: who wins overlapping time
   * (`sourcePriority`) or which category generic time counts under (`categoryRules`) changed.
   */
  recount: boolean
  /**
   * Every heartbeat stream's events are derived again: how far a heartbeat reaches
   * (`heartbeatTimeoutSec`) changed.
   */
  rederive: boolean
  /** Categories the new rules name (when they changed): they must exist to count time under. */
  ruleCategories: string[]
}

/** What replacing the settings `before` with `after` requires of the store. */
export function settingsEffects(before: Settings, after: Settings): SettingsEffects {
  const rulesChanged = JSON.stringify(after.categoryRules) !== JSON.stringify(before.categoryRules)
  return {
    recount:
      rulesChanged ||
      JSON.stringify(after.sourcePriority) !== JSON.stringify(before.sourcePriority),
    rederive: after.heartbeatTimeoutSec !== before.heartbeatTimeoutSec,
    ruleCategories: rulesChanged ? after.categoryRules.map((r) => r.category) : [],
  }
}
