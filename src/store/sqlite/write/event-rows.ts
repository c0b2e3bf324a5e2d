/** The one statement that stores an event row, and the change entry of a stored event. */
import type { StatementSync } from 'node:sqlite'
import type { Change } from '../../../domain/changes.ts'
import { type NewActivityEvent, spanSeconds } from '../../../domain/events.ts'
import type { Connection } from '../connection.ts'
import { ChangePacker, unpackChanges } from '../event-batch.ts'
import type { DimensionWriter } from '../dimensions.ts'

/**
 * Stores event rows: the one `INSERT INTO events` (the connection caches the prepared statement).
 * Arguments are positional: a batch calls this for every event, and builds no object for it.
 */
export class EventRows {
  readonly #insert: StatementSync

  constructor(c: Connection) {
    this.#insert = c.stmt(`
      INSERT INTO events (seq, id, device_id, start_ms, end_ms, duration, category_id, app_id,
                          entity_id, project_id, branch_id, language_id, source_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
  }

  /** One row; the names are ids as `DimensionWriter` resolved them, `duration` as stored. */
  insert(
    seq: number,
    id: Uint8Array,
    device: number,
    startMs: number,
    endMs: number,
    duration: number | null,
    category: number,
    app: number,
    entity: number,
    project: number,
    branch: number | null,
    language: number | null,
    source: number,
  ): void {
    this.#insert.run(
      seq,
      id,
      device,
      startMs,
      endMs,
      duration,
      category,
      app,
      entity,
      project,
      branch,
      language,
      source,
    )
  }
}

/**
 * The change-feed entry of one event stored or extended at `seq`, outside a batch (a derived
 * event): built by the batch's own `ChangePacker` and read back by `unpackChanges`, so every
 * event change has one builder and one reader.
 */
export function eventChange(
  seq: number,
  id: Uint8Array,
  device: string,
  e: Omit<NewActivityEvent, 'device' | 'entityType' | 'projectPath'>,
  dims: DimensionWriter,
  entity: number,
  project: number,
): Change {
  const one = new ChangePacker(1)
  one.add(
    seq,
    id,
    device,
    e,
    e.durationSec ?? spanSeconds(e.startMs, e.endMs),
    dims.extra('entity', entity),
    dims.extra('project', project),
  )
  return unpackChanges(one.finish([]))[0] as Change
}
