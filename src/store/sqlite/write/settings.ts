/** Settings: saving them and applying what the change requires (`settingsEffects`). */
import type { Change } from '../../../domain/changes.ts'
import { settingsEffects } from '../../../domain/settings-change.ts'
import { markAllDirty } from '../rollups.ts'
import { readSettings } from '../rows.ts'
import { rederiveAll } from './heartbeats.ts'
import type { Tx } from './transaction.ts'

/** Replaces the given settings (see `SettingsStore.save`). */
export function saveSettings(tx: Tx, values: Record<string, unknown>): { changes: Change[] } {
  const { c } = tx
  const before = readSettings(c)
  for (const [key, value] of Object.entries(values)) {
    const seq = tx.nextSeq()
    c.run(
      `INSERT INTO settings (key, value, seq) VALUES ($k, $v, $seq)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, seq = excluded.seq`,
      { k: key, v: JSON.stringify(value), seq },
    )
    tx.changes.add({ seq, kind: 'setting', op: 'upsert', key, value })
  }
  const effects = settingsEffects(before, readSettings(c))
  for (const category of effects.ruleCategories) tx.dims.named('categories', category)
  if (effects.recount) markAllDirty(c, tx.mark())
  if (effects.rederive) rederiveAll(tx)
  return { changes: tx.changes.finish() }
}

/** The categories the category rules name exist, so the rollups can count time under them. */
export function ensureRuleCategories(tx: Tx): void {
  for (const rule of readSettings(tx.c).categoryRules) tx.dims.named('categories', rule.category)
}
