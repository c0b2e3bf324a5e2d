/**
 * The PostgreSQL store's writes of what a person sets rather than records: labels, settings,
 * device names and tokens (the recorded time is in `writes.ts`), each inside `write`.
 */
import { v7 as uuidv7 } from 'uuid'
import type { Change } from '../../domain/changes.ts'
import { ConflictError, NotFoundError, UnprocessableError } from '../../domain/errors.ts'
import type { Label, NewLabel } from '../../domain/labels.ts'
import { settingsEffects } from '../../domain/settings-change.ts'
import type { DeviceRow, TokenRow } from '../ports.ts'
import { hlc } from './clock.ts'
import { type Tx, bumpMetaVersion, one } from './db.ts'
import { TOKENS_VERSION } from './schema.ts'
import { rederiveAll } from './heartbeats.ts'
import {
  LABEL_COLUMNS,
  type LabelRecord,
  bury,
  device,
  deviceChanges,
  deviceRows,
  ensureNames,
  finishChanges,
  readSettings,
  toLabel,
} from './records.ts'

async function labelRecord(tx: Tx, id: string): Promise<LabelRecord | undefined> {
  return one<LabelRecord>(tx.c, `SELECT ${LABEL_COLUMNS} FROM labels WHERE id = $1`, [id])
}

/** Creates a label (see `LabelStore.create`). */
export async function createLabel(
  tx: Tx,
  label: NewLabel,
  nowMs: number,
): Promise<{ label: Label; changes: Change[] }> {
  const seq = tx.nextSeq()
  const row = await one<LabelRecord>(
    tx.c,
    `INSERT INTO labels (seq, id, text, context, start_ms, end_ms, created_ms, updated_ms, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) RETURNING ${LABEL_COLUMNS}`,
    [seq, uuidv7(), label.text, label.context, label.startMs, label.endMs, nowMs, await hlc(tx)],
  )
  const stored = toLabel(row as LabelRecord)
  return {
    label: stored,
    changes: [{ seq, kind: 'label', op: 'upsert', label: stored, created: true }],
  }
}

/** Changes a label (see `LabelStore.update`). */
export async function updateLabel(
  tx: Tx,
  id: string,
  patch: Partial<NewLabel>,
  nowMs: number,
): Promise<{ label: Label; changes: Change[] }> {
  const current = await labelRecord(tx, id)
  if (!current) throw new NotFoundError('label_not_found', `no label with id ${id}`, 'id')
  const next = { ...toLabel(current), ...patch }
  if (next.endMs < next.startMs) {
    throw new UnprocessableError(
      'invalid_range',
      'the label would end before it starts',
      'body/endUtc',
    )
  }
  const seq = tx.nextSeq()
  const row = await one<LabelRecord>(
    tx.c,
    `UPDATE labels SET seq = $1, text = $2, context = $3, start_ms = $4, end_ms = $5,
       updated_ms = $6, version = $8, origin = NULL WHERE id = $7 RETURNING ${LABEL_COLUMNS}`,
    [seq, next.text, next.context, next.startMs, next.endMs, nowMs, id, await hlc(tx)],
  )
  const stored = toLabel(row as LabelRecord)
  return {
    label: stored,
    changes: [{ seq, kind: 'label', op: 'upsert', label: stored, created: false }],
  }
}

/** Deletes a label (see `LabelStore.delete`). */
export async function deleteLabel(
  tx: Tx,
  id: string,
): Promise<{ deleted: boolean; changes: Change[] }> {
  const current = await labelRecord(tx, id)
  if (!current) return { deleted: false, changes: [] }
  return {
    deleted: true,
    changes: [await bury(tx, 'label', { seq: current.seq, id, startMs: current.start_ms })],
  }
}

/** A setting to store: its value, its version (hybrid clock) and where it was received from. */
export interface SettingWrite {
  key: string
  value: unknown
  version: number
  /** The device of the daemon it was received from; null for a change made here. */
  origin: number | null
}

/** Replaces the given settings and applies what the change requires (`settingsEffects`). */
export async function saveSettings(
  tx: Tx,
  values: Record<string, unknown>,
): Promise<{ changes: Change[] }> {
  const list: SettingWrite[] = []
  for (const [key, value] of Object.entries(values)) {
    list.push({ key, value, version: await hlc(tx), origin: null })
  }
  return { changes: await finishChanges(tx, await writeSettings(tx, list)) }
}

/** Stores settings and applies what the change requires (`settingsEffects`); their changes. */
export async function writeSettings(tx: Tx, list: readonly SettingWrite[]): Promise<Change[]> {
  if (list.length === 0) return []
  const before = await readSettings(tx.c)
  const changes: Change[] = []
  for (const { key, value, version, origin } of list) {
    const seq = tx.nextSeq()
    await tx.c.query(
      `INSERT INTO settings (key, value, seq, version, origin) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, seq = excluded.seq,
         version = excluded.version, origin = excluded.origin`,
      [key, JSON.stringify(value), seq, version, origin],
    )
    changes.push({ seq, kind: 'setting', op: 'upsert', key, value })
  }
  // Time is resolved from events at every question here (no rollups to recount): of the
  // effects, only the categories the rules name and re-derived heartbeat streams need writes.
  const effects = settingsEffects(before, await readSettings(tx.c))
  await ensureNames(tx.c, 'categories', effects.ruleCategories)
  if (effects.rederive) changes.push(...(await rederiveAll(tx)))
  return changes
}

/** Renames a device (see `DeviceStore.rename`). */
export async function renameDevice(
  tx: Tx,
  uuid: string,
  name: string,
): Promise<{ device: DeviceRow; changes: Change[] }> {
  const row = await one<{ id: number }>(tx.c, 'SELECT id FROM devices WHERE uuid = $1', [uuid])
  if (!row) throw new NotFoundError('device_not_found', `no device with id ${uuid}`, 'id')
  const other = await one<{ id: number }>(tx.c, 'SELECT id FROM devices WHERE name = $1', [name])
  if (other && other.id !== row.id) {
    throw new ConflictError(
      'device_name_taken',
      `another device is named ${JSON.stringify(name)}`,
      'name',
    )
  }
  await tx.c.query(
    'UPDATE devices SET name = $1, seq = $2, version = $3, origin = NULL WHERE id = $4',
    [name, tx.nextSeq(), await hlc(tx), row.id],
  )
  return {
    device: (await deviceRows(tx.c, [row.id]))[0] as DeviceRow,
    changes: await deviceChanges(tx.c, [row.id]),
  }
}

/** Creates the devices of these names not stored yet (see `DeviceStore.ensure`). */
export async function ensureDevices(
  tx: Tx,
  names: readonly string[],
  nowMs: number,
): Promise<{ created: number; changes: Change[] }> {
  let created = 0
  for (const name of new Set(names)) {
    if ((await one(tx.c, 'SELECT 1 FROM devices WHERE name = $1', [name])) === undefined) {
      created++
    }
    await device(tx, name, nowMs)
  }
  return { created, changes: await finishChanges(tx, []) }
}

/** Inserts a token unless `maxActive` are active (see `TokenStore.insert`). */
export async function insertToken(
  tx: Tx,
  token: TokenRow,
  maxActive: number,
  nowSec: number,
): Promise<boolean> {
  const n =
    (
      await one<{ n: number }>(
        tx.c,
        `SELECT count(*)::int AS n FROM api_tokens
         WHERE NOT revoked AND (expires_at IS NULL OR expires_at > $1)`,
        [nowSec],
      )
    )?.n ?? 0
  if (n >= maxActive) return false
  await tx.c.query(
    `INSERT INTO api_tokens (id, name, token_hash, token_salt, token_preview, acl, created_at,
                             expires_at, last_used_at, revoked)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      token.id,
      token.name,
      token.tokenHash,
      token.tokenSalt,
      token.tokenPreview,
      token.acl,
      token.createdAt,
      token.expiresAt,
      token.lastUsedAt,
      token.revoked,
    ],
  )
  await bumpMetaVersion(tx.c, TOKENS_VERSION)
  return true
}
