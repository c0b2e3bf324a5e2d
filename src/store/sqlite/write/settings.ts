/** Settings: saving them and applying what the change requires (`settingsEffects`). */
import type { Change } from '../../../domain/changes.ts'
import { settingsEffects } from '../../../domain/settings-change.ts'
import { markAllDirty } from '../rollups.ts'
import { readSettings } from '../rows.ts'
import { rederiveAll } from './heartbeats.ts'
import type { Tx } from './transaction.ts'

/** A setting to store: its value, its version (hybrid clock) and where it was received from. */
export interface SettingWrite {
  key: string
  value: unknown
  version: number
  /** The device (`devices.id`) of the daemon it came from; null: changed here. */
  origin: number | null
}

/**
 * Stores settings and applies what the change requires (`settingsEffects`), whether the person
 * changed them here or another daemon did: the same effects either way.
 */
export function writeSettings(tx: Tx, writes: readonly SettingWrite[]): void {
  const { c } = tx
  if (writes.length === 0) return
  const before = readSettings(c)
  for (const { key, value, version, origin } of writes) {
    const seq = tx.nextSeq()
    c.run(
      `INSERT INTO settings (key, value, seq, version, origin) VALUES ($k, $v, $seq, $version, $o)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, seq = excluded.seq,
         version = excluded.version, origin = excluded.origin`,
      { k: key, v: JSON.stringify(value), seq, version, o: origin },
    )
    tx.changes.add({ seq, kind: 'setting', op: 'upsert', key, value })
  }
  const effects = settingsEffects(before, readSettings(c))
  for (const category of effects.ruleCategories) tx.dims.named('categories', category)
  if (effects.recount) markAllDirty(c, tx.mark())
  if (effects.rederive) rederiveAll(tx)
}

/** Replaces the given settings (see `SettingsStore.save`). */
export function saveSettings(tx: Tx, values: Record<string, unknown>): { changes: Change[] } {
  writeSettings(
    tx,
    Object.entries(values).map(([key, value]) => ({ key, value, version: tx.hlc(), origin: null })),
  )
  return { changes: tx.changes.finish() }
}

/** The categories the category rules name exist, so the rollups can count time under them. */
export function ensureRuleCategories(tx: Tx): void {
  for (const rule of readSettings(tx.c).categoryRules) tx.dims.named('categories', rule.category)
}
