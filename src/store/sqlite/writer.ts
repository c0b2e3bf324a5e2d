/**
 * Every write of the SQLite store, run by the one writer worker: each is one transaction (see
 * `write/transaction.ts`), its SQL in `write/`, one file per aggregate. The rules they apply are
 * the domain's (`src/domain/arrivals.ts`, `presence.ts`, `settings-change.ts`,
 * `wakatime/reconcile.ts`), so another store applies the same ones.
 */
import type { Change } from '../../domain/changes.ts'
import type { NewActivityEvent, NewAfkPeriod } from '../../domain/events.ts'
import type { Label, NewLabel } from '../../domain/labels.ts'
import type { InputRow } from '../../domain/input.ts'
import type { Heartbeat } from '../../domain/wakatime/heartbeat.ts'
import type { SyncBatch } from '../../domain/sync.ts'
import type {
  AfkSelector,
  DeviceRow,
  EventSelector,
  HeartbeatIngestResult,
  IngestResult,
  InputDelta,
  InsertOptions,
  SyncStore,
  TokenRow,
} from '../ports.ts'
import type { Connection } from './connection.ts'
import { DimensionWriter } from './dimensions.ts'
import type { PackedIngestResult } from './event-batch.ts'
import { deleteAfk, insertAfk } from './write/afk.ts'
import { ensureDevices, renameDevice } from './write/devices.ts'
import { deleteEvents, insertEvents } from './write/events.ts'
import { insertHeartbeats } from './write/heartbeats.ts'
import { addInput, deleteInputBefore, mergeInput, pruneInputBatches } from './write/input.ts'
import { createLabel, deleteLabel, updateLabel } from './write/labels.ts'
import { ensureRuleCategories, saveSettings } from './write/settings.ts'
import { applySync, resetCursors, setPushed } from './write/sync.ts'
import { createCode, pair, pushedFor, revokeClient, touchClient } from './write/sync-clients.ts'
import { deleteToken, insertToken, revokeToken, touchToken } from './write/tokens.ts'
import { type Tx, Transactions } from './write/transaction.ts'

export class Writer {
  readonly #c: Connection
  readonly #tx: Transactions

  constructor(connection: Connection) {
    this.#c = connection
    this.#tx = new Transactions(connection, new DimensionWriter(connection))
  }

  /** Called after every write that may have left dirty slots (the rollup loop wakes up). */
  set onDirty(fn: () => void) {
    this.#tx.onDirty = fn
  }

  /** After a migration: forget cached ids and statements. */
  reset(): void {
    this.#tx.reset()
  }

  /** One write transaction with feed positions and the hybrid clock (the screenshots' tables). */
  transaction<T>(fn: (tx: Tx) => T): T {
    return this.#tx.run(fn)
  }

  insertEvents(
    events: readonly NewActivityEvent[],
    receivedMs: number,
    options: InsertOptions = {},
  ): PackedIngestResult {
    return this.#tx.run((tx) => insertEvents(tx, events, receivedMs, options.changes ?? true))
  }

  deleteEvents(selector: EventSelector): { deleted: number; changes: Change[] } {
    return this.#tx.run((tx) => deleteEvents(tx, selector))
  }

  insertAfk(periods: readonly NewAfkPeriod[], receivedMs: number): IngestResult {
    return this.#tx.run((tx) => insertAfk(tx, periods, receivedMs))
  }

  deleteAfk(selector: AfkSelector): { deleted: number; changes: Change[] } {
    return this.#tx.run((tx) => deleteAfk(tx, selector))
  }

  ensureDevices(names: readonly string[], nowMs: number): { created: number; changes: Change[] } {
    return this.#tx.run((tx) => ensureDevices(tx, names, nowMs))
  }

  renameDevice(uuid: string, name: string): { device: DeviceRow; changes: Change[] } {
    return this.#tx.run((tx) => renameDevice(tx, uuid, name))
  }

  addInput(
    deltas: readonly InputDelta[],
    receivedMs: number,
  ): IngestResult & { applied: number[] } {
    return this.#tx.run((tx) => addInput(tx, deltas, receivedMs))
  }

  mergeInput(rows: readonly InputRow[], receivedMs: number): IngestResult & { added: InputRow[] } {
    return this.#tx.run((tx) => mergeInput(tx, rows, receivedMs))
  }

  deleteInputBefore(cutoffMs: number): number {
    return deleteInputBefore(this.#c, cutoffMs)
  }

  pruneInputBatches(cutoffMs: number): number {
    return pruneInputBatches(this.#c, cutoffMs)
  }

  createLabel(label: NewLabel, nowMs: number): { label: Label; changes: Change[] } {
    return this.#tx.run((tx) => createLabel(tx, label, nowMs))
  }

  updateLabel(
    id: string,
    patch: Partial<NewLabel>,
    nowMs: number,
  ): { label: Label; changes: Change[] } {
    return this.#tx.run((tx) => updateLabel(tx, id, patch, nowMs))
  }

  deleteLabel(id: string): { deleted: boolean; changes: Change[] } {
    return this.#tx.run((tx) => deleteLabel(tx, id))
  }

  /** The categories the category rules name exist, so the rollups can count time under them. */
  ensureRuleCategories(): void {
    this.#tx.run((tx) => ensureRuleCategories(tx))
  }

  saveSettings(values: Record<string, unknown>): { changes: Change[] } {
    return this.#tx.run((tx) => saveSettings(tx, values))
  }

  insertHeartbeats(
    heartbeats: readonly Heartbeat[],
    receivedMs: number,
    options: InsertOptions = {},
  ): HeartbeatIngestResult {
    return this.#tx.run((tx) =>
      insertHeartbeats(tx, heartbeats, receivedMs, options.changes ?? true),
    )
  }

  applySync(
    batch: SyncBatch,
    peer: string,
    cursor: Parameters<SyncStore['apply']>[2],
    receivedMs: number,
  ): { applied: number; changes: Change[] } {
    return this.#tx.run((tx) => applySync(tx, batch, peer, cursor, receivedMs))
  }

  setPushed(seq: number): void {
    setPushed(this.#c, seq)
  }

  resetCursors(): void {
    resetCursors(this.#c)
  }

  createCode(code: Parameters<SyncStore['createCode']>[0]): void {
    createCode(this.#c, code)
  }

  pair(request: Parameters<SyncStore['pair']>[0]): ReturnType<typeof pair> {
    return this.#tx.run((tx) => pair(tx, request))
  }

  revokeClient(id: string): boolean {
    return revokeClient(this.#c, id)
  }

  touchClient(id: string, nowMs: number): void {
    touchClient(this.#c, id, nowMs)
  }

  pushedFor(id: string, epoch: number, startSeq: number): number {
    return this.#c.write(() => pushedFor(this.#c, id, epoch, startSeq))
  }

  insertToken(token: TokenRow, maxActive: number, nowSec: number): boolean {
    return insertToken(this.#c, token, maxActive, nowSec)
  }

  revokeToken(id: string): boolean {
    return revokeToken(this.#c, id)
  }

  deleteToken(id: string): boolean {
    return deleteToken(this.#c, id)
  }

  touchToken(id: string, lastUsedAt: number): void {
    touchToken(this.#c, id, lastUsedAt)
  }
}
