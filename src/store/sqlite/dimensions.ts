/**
 * Names ⇄ integer ids of the dimension tables. Events store integers; the API speaks names.
 *
 * `DimensionWriter` (writer worker) finds or creates rows by name, keeps projects' latest activity
 * and fills a project's root path or an entity's type the first time one is known. It caches what
 * it has read or written, so a batch that names known things costs no SQL for them. A rolled-back
 * transaction may have put rows in the cache that do not exist: the writer then drops the cache.
 * `lookupNames` (any connection) turns ids back into names for the rows a read returns.
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

/** Names cached before the cache is dropped and refilled (window titles keep coming). */
const MAX_CACHED = 100_000

export interface DeviceRef {
  id: number
  uuid: string
  name: string
}

export class DimensionWriter {
  readonly #c: Connection
  /**
   * Ids by name, one map per table (entities and branches: per project). Keyed by the name
   * itself, not a composed string: a batch repeats the same string objects, whose hashes V8 keeps,
   * while a composed key would be built and hashed again for every event.
   */
  readonly #ids: Record<NamedTable, Map<string, number>> = {
    apps: new Map(),
    categories: new Map(),
    sources: new Map(),
    languages: new Map(),
    projects: new Map(),
  }
  readonly #children: Record<ChildTable, Map<number, Map<string, number>>> = {
    entities: new Map(),
    branches: new Map(),
  }
  /** Names cached in `#ids` and `#children` together. */
  #cached = 0
  /** A project's root path, by id; null: none known yet. */
  readonly #projectPath = new Map<number, string | null>()
  /** An entity's type, by id; null: none known yet. */
  readonly #entityType = new Map<number, string | null>()
  /** Projects' `last_updated`, as stored or as this transaction will store it. */
  readonly #projectSeen = new Map<number, number>()
  /** Projects whose `last_updated` this transaction moved forward, written by `flush`. */
  readonly #projectMoved = new Map<number, number>()
  readonly #devices = new Map<string, DeviceRef>()
  #created: number[] = []
  #own: DeviceRef | undefined

  constructor(connection: Connection) {
    this.#c = connection
  }

  /** Starts a transaction. */
  begin(): void {
    this.#created = []
    this.#projectMoved.clear()
    if (this.#cached > MAX_CACHED) this.reset()
  }

  /** Ids of the devices created in the current transaction. */
  createdDevices(): number[] {
    return this.#created
  }

  /** Forgets everything cached (after a rollback, a rename, or a migration). */
  reset(): void {
    for (const map of Object.values(this.#ids)) map.clear()
    this.#children.entities.clear()
    this.#children.branches.clear()
    this.#cached = 0
    this.#projectPath.clear()
    this.#entityType.clear()
    this.#projectSeen.clear()
    this.#projectMoved.clear()
    this.#devices.clear()
    this.#own = undefined
  }

  /** The id of `name` in `table`, creating the row. */
  named(table: Exclude<NamedTable, 'projects'>, name: string): number {
    const ids = this.#ids[table]
    const cached = ids.get(name)
    if (cached !== undefined) return cached
    const found = this.#c.get<{ id: number }>(`SELECT id FROM ${table} WHERE name = $name`, {
      name,
    })
    const id =
      found?.id ??
      (
        this.#c.get<{ id: number }>(
          PUBLIC_ID[table]
            ? `INSERT INTO ${table} (name, uuid) VALUES ($name, $uuid) RETURNING id`
            : `INSERT INTO ${table} (name) VALUES ($name) RETURNING id`,
          PUBLIC_ID[table] ? { name, uuid: uuidv7() } : { name },
        ) as { id: number }
      ).id
    ids.set(name, id)
    this.#cached++
    return id
  }

  /** The cache of `table`'s children of project `projectId`. */
  #childIds(table: ChildTable, projectId: number): Map<string, number> {
    const byProject = this.#children[table]
    let ids = byProject.get(projectId)
    if (!ids) byProject.set(projectId, (ids = new Map<string, number>()))
    return ids
  }

  /**
   * The id of project `name`, creating it; its root path is set the first time one is known, and
   * its latest activity (`lastUpdated`, unix s) only moves forward.
   */
  project(name: string, rootPath: string | null, lastUpdated: number): number {
    const ids = this.#ids.projects
    let id = ids.get(name)
    if (id === undefined) {
      const found = this.#c.get<{ id: number; root_path: string | null; last_updated: number }>(
        'SELECT id, root_path, last_updated FROM projects WHERE name = $name',
        { name },
      )
      if (found) {
        id = found.id
        this.#projectPath.set(id, found.root_path)
        this.#projectSeen.set(id, found.last_updated)
      } else {
        id = (
          this.#c.get<{ id: number }>(
            `INSERT INTO projects (name, uuid, root_path, last_updated)
             VALUES ($name, $uuid, $path, $lu) RETURNING id`,
            { name, uuid: uuidv7(), path: rootPath, lu: lastUpdated },
          ) as { id: number }
        ).id
        this.#projectPath.set(id, rootPath)
        this.#projectSeen.set(id, lastUpdated)
      }
      ids.set(name, id)
      this.#cached++
    }
    if (rootPath !== null && this.#projectPath.get(id) === null) {
      this.#c.run('UPDATE projects SET root_path = $v WHERE id = $id AND root_path IS NULL', {
        v: rootPath,
        id,
      })
      this.#projectPath.set(id, rootPath)
    }
    if ((this.#projectSeen.get(id) ?? 0) < lastUpdated) {
      // Written once per project at the end of the transaction (`flush`), not once per event:
      // events arrive in time order, so nearly every one moves its project's activity forward.
      this.#projectMoved.set(id, lastUpdated)
      this.#projectSeen.set(id, lastUpdated)
    }
    return id
  }

  /** Writes what this transaction learnt of projects' latest activity. Call before committing. */
  flush(): void {
    for (const [id, lastUpdated] of this.#projectMoved) {
      this.#c.run('UPDATE projects SET last_updated = max(last_updated, $lu) WHERE id = $id', {
        lu: lastUpdated,
        id,
      })
    }
    this.#projectMoved.clear()
  }

  /** The id of entity `name` of a project, creating it; its type is set the first time known. */
  entity(projectId: number, name: string, type: string | null): number {
    const ids = this.#childIds('entities', projectId)
    let id = ids.get(name)
    if (id === undefined) {
      const found = this.#c.get<{ id: number; type: string | null }>(
        'SELECT id, type FROM entities WHERE project_id = $p AND name = $name',
        { p: projectId, name },
      )
      id =
        found?.id ??
        (
          this.#c.get<{ id: number }>(
            'INSERT INTO entities (project_id, name, type) VALUES ($p, $name, $type) RETURNING id',
            { p: projectId, name, type },
          ) as { id: number }
        ).id
      this.#entityType.set(id, found ? found.type : type)
      ids.set(name, id)
      this.#cached++
    }
    if (type !== null && this.#entityType.get(id) === null) {
      this.#c.run('UPDATE entities SET type = $v WHERE id = $id AND type IS NULL', { v: type, id })
      this.#entityType.set(id, type)
    }
    return id
  }

  /** The id of branch `name` of a project, creating it. */
  branch(projectId: number, name: string): number {
    const ids = this.#childIds('branches', projectId)
    const cached = ids.get(name)
    if (cached !== undefined) return cached
    const id =
      this.#c.get<{ id: number }>(
        'SELECT id FROM branches WHERE project_id = $p AND name = $name',
        {
          p: projectId,
          name,
        },
      )?.id ??
      (
        this.#c.get<{ id: number }>(
          'INSERT INTO branches (project_id, name) VALUES ($p, $name) RETURNING id',
          { p: projectId, name },
        ) as { id: number }
      ).id
    ids.set(name, id)
    this.#cached++
    return id
  }

  /** A project's stored root path, or an entity's stored type (as cached by the calls above). */
  extra(kind: 'project' | 'entity', id: number): string | null {
    return (kind === 'project' ? this.#projectPath : this.#entityType).get(id) ?? null
  }

  /** The daemon's own device. */
  own(): DeviceRef {
    this.#own ??= this.#c.get<DeviceRef>('SELECT id, uuid, name FROM devices WHERE own = 1')
    if (!this.#own) throw new Error('the database has no own device (not migrated?)')
    return this.#own
  }

  /**
   * The device named `name` (null: the daemon's own), creating it with a name-derived id and the
   * feed position `nextSeq()` gives.
   */
  device(name: string | null, nextSeq: () => number, nowMs: number): DeviceRef {
    if (name === null) return this.own()
    const cached = this.#devices.get(name)
    if (cached) return cached
    let ref = this.#c.get<DeviceRef>('SELECT id, uuid, name FROM devices WHERE name = $name', {
      name,
    })
    if (!ref) {
      let uuid = namedDeviceId(name)
      // A renamed device may have left this name's derived id behind: then take a random one.
      if (this.#c.get('SELECT 1 AS x FROM devices WHERE uuid = $uuid', { uuid }))
        uuid = randomUUID()
      const created = this.#c.get<DeviceRef>(
        `INSERT INTO devices (uuid, name, own, created_ms, events, seq)
         VALUES ($uuid, $name, 0, $now, 0, $seq) RETURNING id, uuid, name`,
        { uuid, name, now: nowMs, seq: nextSeq() },
      )
      if (!created) throw new Error(`device ${name} was not created`)
      ref = created
      this.#created.push(ref.id)
    }
    this.#devices.set(name, ref)
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
