/**
 * Names ⇄ integer ids of the dimension tables. Events store integers; the API speaks names.
 *
 * `DimensionWriter` (writer worker) finds or creates rows by name and bumps `last_updated`. Its
 * cache holds only rows whose transaction committed: ids created inside a transaction live in a
 * transaction-local layer that is dropped on rollback, so the cache never names a row that does
 * not exist. `lookupNames` (any connection) turns ids back into names for the rows a read returns.
 */
import { randomUUID } from 'node:crypto'
import { v7 as uuidv7 } from 'uuid'
import { namedDeviceId } from '../../domain/events.ts'
import type { Connection } from './connection.ts'

/** Dimension tables keyed by name alone. */
export const NAMED_TABLES = ['apps', 'categories', 'sources', 'languages', 'projects'] as const
export type NamedTable = (typeof NAMED_TABLES)[number]
/** Dimension tables keyed by (project, name). */
export type ChildTable = 'branches' | 'entities'

/** Tables with a public uuid besides the integer id. */
const PUBLIC_ID: Record<NamedTable, boolean> = {
  apps: true,
  categories: true,
  projects: true,
  sources: false,
  languages: false,
}

export interface DeviceRef {
  id: number
  uuid: string
}

export class DimensionWriter {
  readonly #c: Connection
  readonly #committed = new Map<string, number>()
  #local: Map<string, number> | undefined
  readonly #devices = new Map<string, DeviceRef>()
  #localDevices: Map<string, DeviceRef> | undefined
  #created: number[] = []
  #own: DeviceRef | undefined

  constructor(connection: Connection) {
    this.#c = connection
  }

  /** Starts a transaction's local layer. */
  begin(): void {
    this.#local = new Map()
    this.#localDevices = new Map()
    this.#created = []
  }

  /** Ids of the devices created in the current transaction. */
  createdDevices(): number[] {
    return this.#created
  }

  /** The transaction committed: its new rows join the cache. */
  commit(): void {
    for (const [k, v] of this.#local ?? []) this.#committed.set(k, v)
    for (const [k, v] of this.#localDevices ?? []) this.#devices.set(k, v)
    this.#local = undefined
    this.#localDevices = undefined
  }

  rollback(): void {
    this.#local = undefined
    this.#localDevices = undefined
  }

  /** Forgets everything cached (a device was renamed, or the schema changed). */
  reset(): void {
    this.#committed.clear()
    this.#devices.clear()
    this.#own = undefined
  }

  #get(key: string): number | undefined {
    return this.#local?.get(key) ?? this.#committed.get(key)
  }

  #remember(key: string, id: number): number {
    if (this.#local) this.#local.set(key, id)
    else this.#committed.set(key, id)
    return id
  }

  /** The id of `name` in `table`, creating the row; `lastUpdated` (unix s) only moves forward. */
  named(table: NamedTable, name: string, lastUpdated: number, rootPath?: string | null): number {
    const key = `${table}\u0000${name}`
    const cached = this.#get(key)
    if (cached !== undefined) return cached
    const found = this.#c.get<{ id: number }>(`SELECT id FROM ${table} WHERE name = $name`, {
      name,
    })
    if (found) return this.#remember(key, found.id)
    const columns = ['name', 'last_updated']
    const values: Record<string, string | number | null> = { name, last_updated: lastUpdated }
    if (PUBLIC_ID[table]) {
      columns.push('uuid')
      values.uuid = uuidv7()
    }
    if (table === 'projects') {
      columns.push('root_path')
      values.root_path = rootPath ?? null
    }
    const row = this.#c.get<{ id: number }>(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `$${c}`).join(', ')}) RETURNING id`,
      values,
    ) as { id: number }
    return this.#remember(key, row.id)
  }

  /** The id of `name` under `projectId` in `table` (branches, entities), creating the row. */
  child(
    table: ChildTable,
    projectId: number,
    name: string,
    lastUpdated: number,
    type?: string | null,
  ): number {
    const key = `${table}\u0000${projectId}\u0000${name}`
    const cached = this.#get(key)
    if (cached !== undefined) return cached
    const found = this.#c.get<{ id: number }>(
      `SELECT id FROM ${table} WHERE project_id = $p AND name = $name`,
      { p: projectId, name },
    )
    if (found) return this.#remember(key, found.id)
    const row = (
      table === 'entities'
        ? this.#c.get(
            'INSERT INTO entities (project_id, name, type, last_updated) VALUES ($p, $name, $type, $lu) RETURNING id',
            { p: projectId, name, type: type ?? null, lu: lastUpdated },
          )
        : this.#c.get(
            'INSERT INTO branches (project_id, name, last_updated) VALUES ($p, $name, $lu) RETURNING id',
            { p: projectId, name, lu: lastUpdated },
          )
    ) as { id: number }
    return this.#remember(key, row.id)
  }

  /** Bumps `last_updated` of rows a batch used (to the latest activity that used them). */
  touch(table: NamedTable | ChildTable, id: number, lastUpdated: number): void {
    this.#c.run(`UPDATE ${table} SET last_updated = max(last_updated, $lu) WHERE id = $id`, {
      lu: lastUpdated,
      id,
    })
  }

  /** Fills a project's root path or an entity's type if it has none yet (first non-null wins). */
  fill(table: 'projects' | 'entities', id: number, value: string | null): void {
    if (value === null) return
    const column = table === 'projects' ? 'root_path' : 'type'
    this.#c.run(`UPDATE ${table} SET ${column} = $v WHERE id = $id AND ${column} IS NULL`, {
      v: value,
      id,
    })
  }

  /** The daemon's own device. */
  own(): DeviceRef {
    this.#own ??= this.#c.get<DeviceRef>('SELECT id, uuid FROM devices WHERE own = 1')
    if (!this.#own) throw new Error('the database has no own device (not migrated?)')
    return this.#own
  }

  /**
   * The device named `name` (null: the daemon's own), creating it with a name-derived id and the
   * feed position `nextSeq()` gives.
   */
  device(name: string | null, nextSeq: () => number, nowMs: number): DeviceRef {
    if (name === null) return this.own()
    const cached = this.#localDevices?.get(name) ?? this.#devices.get(name)
    if (cached) return cached
    let ref = this.#c.get<DeviceRef>('SELECT id, uuid FROM devices WHERE name = $name', { name })
    if (!ref) {
      let uuid = namedDeviceId(name)
      // A renamed device may have left this name's derived id behind: then take a random one.
      if (this.#c.get('SELECT 1 AS x FROM devices WHERE uuid = $uuid', { uuid }))
        uuid = randomUUID()
      const created = this.#c.get<DeviceRef>(
        'INSERT INTO devices (uuid, name, own, created_ms, events, seq) VALUES ($uuid, $name, 0, $now, 0, $seq) RETURNING id, uuid',
        { uuid, name, now: nowMs, seq: nextSeq() },
      )
      if (!created) throw new Error(`device ${name} was not created`)
      ref = created
      this.#created.push(ref.id)
    }
    ;(this.#localDevices ?? this.#devices).set(name, ref)
    return ref
  }
}

/** Names (and for projects the root path, for entities the type) of the given ids. */
export function lookupNames(
  c: Connection,
  table: NamedTable | ChildTable | 'devices',
  ids: Iterable<number>,
): Map<number, { name: string; extra: string | null }> {
  const list = [...new Set(ids)].filter((id) => id > 0)
  const out = new Map<number, { name: string; extra: string | null }>()
  if (list.length === 0) return out
  const extra = table === 'projects' ? 'root_path' : table === 'entities' ? 'type' : 'NULL'
  const rows = c.all<{ id: number; name: string; extra: string | null }>(
    `SELECT id, name, ${extra} AS extra FROM ${table} WHERE id IN (SELECT value FROM json_each($ids))`,
    { ids: JSON.stringify(list) },
  )
  for (const r of rows) out.set(r.id, { name: r.name, extra: r.extra })
  return out
}

/** Ids of the rows of `table` with any of `names` (entities and branches: in any project). */
export function idsOfNames(
  c: Connection,
  table: NamedTable | ChildTable | 'devices',
  names: readonly string[],
): number[] {
  return c
    .all<{ id: number }>(
      `SELECT id FROM ${table} WHERE name IN (SELECT value FROM json_each($names))`,
      { names: JSON.stringify(names) },
    )
    .map((r) => r.id)
}
