/**
 * Hook rules, their state, the firing log and the do-not-disturb settings in SQLite (`hook_*`
 * tables), run inside a store worker: writes on the writer, each call one transaction.
 */
import { DEFAULT_DND, type DndConfig } from '../../domain/hooks/dnd.ts'
import type { HookState } from '../../domain/hooks/firing.ts'
import {
  type HookActionResult,
  type HookLogEntry,
  type NewHookLogEntry,
  interruptRunning,
} from '../../domain/hooks/log.ts'
import type { HookRule } from '../../domain/hooks/rules.ts'
import type { StoredHook } from '../ports.ts'
import type { Connection } from './connection.ts'

interface LogRow {
  id: number
  hook_id: string
  fired_ms: number
  payload: string
  actions: string
}

function toEntry(r: LogRow): HookLogEntry {
  return {
    id: r.id,
    hookId: r.hook_id,
    firedMs: r.fired_ms,
    payload: JSON.parse(r.payload) as unknown,
    actions: JSON.parse(r.actions) as HookActionResult[],
  }
}

const isRunning = (actions: readonly HookActionResult[]) =>
  actions.some((a) => a.status === 'running') ? 1 : 0

export class HookTables {
  readonly #c: Connection

  constructor(connection: Connection) {
    this.#c = connection
  }

  list(): StoredHook[] {
    return this.#c
      .all<{ rule: string; state: string }>('SELECT rule, state FROM hook_rules ORDER BY position')
      .map((r) => ({
        rule: JSON.parse(r.rule) as HookRule,
        state: JSON.parse(r.state) as HookState,
      }))
  }

  replace(hooks: readonly StoredHook[]): void {
    this.#c.write(() => {
      this.#c.run('DELETE FROM hook_rules')
      hooks.forEach((h, position) => {
        this.#c.run(
          'INSERT INTO hook_rules (id, position, rule, state) VALUES ($id, $position, $rule, $state)',
          {
            id: h.rule.id,
            position,
            rule: JSON.stringify(h.rule),
            state: JSON.stringify(h.state),
          },
        )
      })
    })
  }

  saveState(id: string, state: HookState, fired: readonly NewHookLogEntry[] = []): number[] | null {
    return this.#c.write(() => {
      const changed = this.#c.run('UPDATE hook_rules SET state = $state WHERE id = $id', {
        id,
        state: JSON.stringify(state),
      })
      if (changed === 0) return null
      return fired.map((entry) => {
        const row = this.#c.get<{ id: number }>(
          `INSERT INTO hook_log (hook_id, fired_ms, payload, actions, running)
           VALUES ($hook, $fired, $payload, $actions, $running) RETURNING id`,
          {
            hook: id,
            fired: entry.firedMs,
            payload: JSON.stringify(entry.payload),
            actions: JSON.stringify(entry.actions),
            running: isRunning(entry.actions),
          },
        ) as { id: number }
        return row.id
      })
    })
  }

  updateActions(
    logId: number,
    updates: readonly { index: number; result: HookActionResult }[],
  ): boolean {
    return this.#c.write(() => {
      const row = this.#c.get<{ actions: string }>('SELECT actions FROM hook_log WHERE id = $id', {
        id: logId,
      })
      if (!row) return false
      const actions = JSON.parse(row.actions) as HookActionResult[]
      for (const { index, result } of updates) actions[index] = result
      this.#write(logId, actions)
      return true
    })
  }

  #write(logId: number, actions: readonly HookActionResult[]): void {
    this.#c.run('UPDATE hook_log SET actions = $actions, running = $running WHERE id = $id', {
      id: logId,
      actions: JSON.stringify(actions),
      running: isRunning(actions),
    })
  }

  log(q: { limit: number; offset: number; hookId?: string | undefined }): HookLogEntry[] {
    const rows =
      q.hookId === undefined
        ? this.#c.all<LogRow>(
            'SELECT * FROM hook_log ORDER BY id DESC LIMIT $limit OFFSET $offset',
            {
              limit: q.limit,
              offset: q.offset,
            },
          )
        : this.#c.all<LogRow>(
            `SELECT * FROM hook_log WHERE hook_id = $hook
             ORDER BY id DESC LIMIT $limit OFFSET $offset`,
            { hook: q.hookId, limit: q.limit, offset: q.offset },
          )
    return rows.map(toEntry)
  }

  logCount(hookId?: string): number {
    const row =
      hookId === undefined
        ? this.#c.get<{ n: number }>('SELECT count(*) AS n FROM hook_log')
        : this.#c.get<{ n: number }>('SELECT count(*) AS n FROM hook_log WHERE hook_id = $hook', {
            hook: hookId,
          })
    return row?.n ?? 0
  }

  closeRunning(): number {
    return this.#c.write(() => {
      let closed = 0
      for (const row of this.#c.all<LogRow>('SELECT * FROM hook_log WHERE running = 1')) {
        const actions = interruptRunning(toEntry(row).actions)
        if (!actions) continue
        this.#write(row.id, actions)
        closed++
      }
      return closed
    })
  }

  pruneLog(keep: number): number {
    return this.#c.run(
      `DELETE FROM hook_log WHERE id <= (
         SELECT id FROM hook_log ORDER BY id DESC LIMIT 1 OFFSET $keep)`,
      { keep },
    )
  }

  dnd(): DndConfig {
    const row = this.#c.get<{ value: string }>("SELECT value FROM hook_config WHERE key = 'dnd'")
    return row ? (JSON.parse(row.value) as DndConfig) : { ...DEFAULT_DND }
  }

  saveDnd(config: DndConfig): void {
    this.#c.run(
      `INSERT INTO hook_config (key, value) VALUES ('dnd', $value)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      { value: JSON.stringify(config) },
    )
  }
}
