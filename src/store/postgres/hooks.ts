/** Hook rules, their state, the firing log and do-not-disturb in PostgreSQL (see `HookStore`). */
import type pg from 'pg'
import { DEFAULT_DND, type DndConfig } from '../../domain/hooks/dnd.ts'
import type { HookState } from '../../domain/hooks/firing.ts'
import { type HookActionResult, interruptRunning } from '../../domain/hooks/log.ts'
import type { HookRule } from '../../domain/hooks/rules.ts'
import type { HookStore } from '../ports.ts'
import { type LogRow, isRunning, toEntry } from '../sqlite/hooks.ts'
import { type Tx, all, one, write } from './db.ts'

async function saveActions(tx: Tx, id: number, actions: readonly HookActionResult[]) {
  await tx.c.query('UPDATE hook_log SET actions = $1, running = $2 WHERE id = $3', [
    JSON.stringify(actions),
    isRunning(actions),
    id,
  ])
}

export function hookStore(pool: pg.Pool): HookStore {
  return {
    list: async () =>
      (
        await all<{ rule: string; state: string }>(
          pool,
          'SELECT rule, state FROM hook_rules ORDER BY position',
        )
      ).map((r) => ({
        rule: JSON.parse(r.rule) as HookRule,
        state: JSON.parse(r.state) as HookState,
      })),
    replace: (hooks) =>
      write(pool, async (tx) => {
        await tx.c.query('DELETE FROM hook_rules')
        for (const [position, h] of hooks.entries()) {
          await tx.c.query(
            'INSERT INTO hook_rules (id, position, rule, state) VALUES ($1, $2, $3, $4)',
            [h.rule.id, position, JSON.stringify(h.rule), JSON.stringify(h.state)],
          )
        }
      }),
    saveState: (id, state, fired = []) =>
      write(pool, async (tx) => {
        const changed = await tx.c.query('UPDATE hook_rules SET state = $1 WHERE id = $2', [
          JSON.stringify(state),
          id,
        ])
        if (changed.rowCount === 0) return null
        const ids: number[] = []
        for (const entry of fired) {
          const row = await one<{ id: number }>(
            tx.c,
            `INSERT INTO hook_log (hook_id, fired_ms, payload, actions, running)
             VALUES ($1, $2, $3, $4, $5) RETURNING id`,
            [
              id,
              entry.firedMs,
              JSON.stringify(entry.payload),
              JSON.stringify(entry.actions),
              isRunning(entry.actions),
            ],
          )
          ids.push((row as { id: number }).id)
        }
        return ids
      }),
    updateActions: (logId, updates) =>
      write(pool, async (tx) => {
        const row = await one<{ actions: string }>(
          tx.c,
          'SELECT actions FROM hook_log WHERE id = $1',
          [logId],
        )
        if (!row) return false
        const actions = JSON.parse(row.actions) as HookActionResult[]
        for (const { index, result } of updates) actions[index] = result
        await saveActions(tx, logId, actions)
        return true
      }),
    log: async (q) =>
      (
        await all<LogRow>(
          pool,
          `SELECT * FROM hook_log WHERE $1::text IS NULL OR hook_id = $1
           ORDER BY id DESC LIMIT $2 OFFSET $3`,
          [q.hookId ?? null, q.limit, q.offset],
        )
      ).map(toEntry),
    logCount: async (hookId) =>
      (
        await one<{ n: number }>(
          pool,
          'SELECT count(*) AS n FROM hook_log WHERE $1::text IS NULL OR hook_id = $1',
          [hookId ?? null],
        )
      )?.n ?? 0,
    closeRunning: () =>
      write(pool, async (tx) => {
        let closed = 0
        for (const row of await all<LogRow>(tx.c, 'SELECT * FROM hook_log WHERE running')) {
          const actions = interruptRunning(toEntry(row).actions)
          if (!actions) continue
          await saveActions(tx, row.id, actions)
          closed++
        }
        return closed
      }),
    pruneLog: async (keep) =>
      (
        await pool.query(
          `DELETE FROM hook_log WHERE id <= (
             SELECT id FROM hook_log ORDER BY id DESC LIMIT 1 OFFSET $1)`,
          [keep],
        )
      ).rowCount ?? 0,
    dnd: async () => {
      const row = await one<{ value: string }>(
        pool,
        "SELECT value FROM hook_config WHERE key = 'dnd'",
      )
      return row ? (JSON.parse(row.value) as DndConfig) : { ...DEFAULT_DND }
    },
    saveDnd: async (config) => {
      await pool.query(
        `INSERT INTO hook_config (key, value) VALUES ('dnd', $1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [JSON.stringify(config)],
      )
    },
  }
}
