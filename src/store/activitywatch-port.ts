/**
 * The ActivityWatch store port: ActivityWatch's own buckets and events, kept apart from Daybook's
 * events (its clients read back exactly what they wrote). Part of `Store` (`store.activitywatch`);
 * `test/store/conformance-activitywatch.ts` is what every implementation must do.
 */
import type { AwBucket, AwBucketRecord, AwEvent, JsonValue } from '../domain/activitywatch/model.ts'

/** Events of an ActivityWatch bucket overlapping a range (bounds inclusive, in epoch ns). */
export interface AwEventQuery {
  start?: bigint | undefined
  end?: bigint | undefined
  /** Most events, newest first; absent: all. */
  limit?: number | undefined
}

/**
 * ActivityWatch's buckets and events, kept as ActivityWatch keeps them (integer event ids, times in
 * nanoseconds, data as JSON) so that its clients get back exactly what they stored. Event ids are
 * never reused. Calls naming a bucket that does not exist throw `NotFoundError`.
 */
export interface ActivityWatchStore {
  /** Every bucket with the span of its events, by id. */
  buckets(): Promise<AwBucket[]>
  bucket(id: string): Promise<AwBucket | undefined>
  /** Creates a bucket; false (and nothing changed) when one with its id exists. */
  createBucket(bucket: AwBucketRecord): Promise<boolean>
  /** Deletes a bucket and its events; false when there was none. */
  deleteBucket(id: string): Promise<boolean>
  /**
   * Stores events in one transaction. An event with an id replaces the event of that id in this
   * bucket (or is stored under that id when no event has it); `BadRequestError` when the id
   * belongs to another bucket. Resolves to the stored events (with ids) and, for replacements,
   * the events as they were before.
   */
  insertEvents(
    bucketId: string,
    events: readonly AwEvent[],
  ): Promise<{ events: AwEvent[]; replaced: AwEvent[] }>
  /**
   * Merges a heartbeat into the bucket's last event under the merge rule of
   * `src/domain/activitywatch/heartbeat.ts`, or stores it as a new event; one transaction. The
   * last event is the one the previous heartbeat merged into or created, as long as nothing else
   * changed the bucket's events since; otherwise the one with the latest start. Resolves to the
   * resulting event with its id.
   */
  heartbeat(
    bucketId: string,
    heartbeat: AwEvent,
    pulsetimeNs: bigint,
  ): Promise<{ event: AwEvent; merged: boolean }>
  /** Events overlapping the range, newest first (by start, then id), not clipped. */
  events(bucketId: string, query: AwEventQuery): Promise<AwEvent[]>
  event(bucketId: string, id: number): Promise<AwEvent | undefined>
  /** Deletes one event; resolves to it as it was, or undefined when there was none. */
  deleteEvent(bucketId: string, id: number): Promise<AwEvent | undefined>
  /** How many events overlap the range. */
  count(bucketId: string, query: Omit<AwEventQuery, 'limit'>): Promise<number>
  /**
   * Imports a bucket: created when missing, else merged. Events already in it (equal start,
   * duration and data) are skipped; ids in the import are ignored. One transaction. Resolves to
   * whether the bucket was created and the events stored.
   */
  importBucket(
    bucket: AwBucketRecord,
    events: readonly AwEvent[],
  ): Promise<{ created: boolean; inserted: AwEvent[] }>
  /** Every setting, key to JSON value. */
  settings(): Promise<Record<string, JsonValue>>
  setting(key: string): Promise<JsonValue | undefined>
  saveSetting(key: string, value: JsonValue): Promise<void>
  /** False when the key was not set. */
  deleteSetting(key: string): Promise<boolean>
}
