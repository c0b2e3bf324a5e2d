/**
 * A hub's pairing codes and paired devices (sync's clients) on the PostgreSQL store. Whether a
 * code pairs, and where a device's pushes resume, are the domain's rules (`sync-hub.ts`).
 */
import type { Change } from '../../domain/changes.ts'
import { pairingName, pairingVerdict, resumedPush } from '../../domain/sync-hub.ts'
import type { PairingRefusal, SyncClientRow } from '../ports.ts'
import { hlc } from './clock.ts'
import { type Queryable, type Tx, all, one } from './db.ts'
import { deviceChanges } from './records.ts'
import { CLIENT_COLUMNS, type ClientRecord, toSyncClient } from '../sync-wire.ts'

/** Sets a meta value. */
export async function setMeta(q: Queryable, key: string, value: number): Promise<void> {
  await q.query(
    `INSERT INTO meta (key, value) VALUES ($1, $2)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    [key, value],
  )
}

/** A hub's paired devices, oldest first (see `SyncStore.clients`); one by id when given. */
export async function syncClients(q: Queryable, id?: string): Promise<SyncClientRow[]> {
  const rows = await all<ClientRecord>(
    q,
    `SELECT ${CLIENT_COLUMNS}
     FROM sync_clients s JOIN devices d ON d.id = s.device_id
     WHERE $1::text IS NULL OR s.id = $1
     ORDER BY s.paired_ms, s.id`,
    [id ?? null],
  )
  return rows.map(toSyncClient)
}

/** A hub stores a pairing code's hash. */
export async function createCode(
  q: Queryable,
  code: { hash: Uint8Array; name: string | null; nowMs: number; expiresMs: number },
): Promise<void> {
  await q.query(
    'INSERT INTO sync_codes (hash, name, created_ms, expires_ms) VALUES ($1, $2, $3, $4)',
    [Buffer.from(code.hash), code.name, code.nowMs, code.expiresMs],
  )
}

/** A hub pairs a device with a code (see `SyncStore.pair`), in the write transaction. */
export async function pair(
  tx: Tx,
  request: {
    codeHash: Uint8Array
    device: { id: string; name: string }
    client: { id: string; tokenHash: string; tokenPreview: string }
    nowMs: number
  },
): Promise<
  | { ok: true; client: SyncClientRow; version: number; changes: Change[] }
  | { ok: false; reason: PairingRefusal; name?: string }
> {
  const { c } = tx
  const hash = Buffer.from(request.codeHash)
  const row = await one<{ name: string | null; expires_ms: number; used_ms: number | null }>(
    c,
    'SELECT name, expires_ms, used_ms FROM sync_codes WHERE hash = $1',
    [hash],
  )
  const code = row && { name: row.name, expiresMs: row.expires_ms, usedMs: row.used_ms }
  const holder = (
    await one<{ uuid: string }>(c, 'SELECT uuid FROM devices WHERE name = $1', [
      pairingName(code, request.device),
    ])
  )?.uuid
  const verdict = pairingVerdict(code, request.device, request.nowMs, holder)
  if (!verdict.ok) return verdict
  const { name } = verdict
  await c.query('UPDATE sync_codes SET used_ms = $1 WHERE hash = $2', [request.nowMs, hash])
  let device = await one<{ id: number; name: string; version: number }>(
    c,
    'SELECT id, name, version FROM devices WHERE uuid = $1',
    [request.device.id],
  )
  const changed: number[] = []
  if (!device) {
    // Named by the hub now (a version later than the device's own name, which it then takes).
    device = await one<{ id: number; name: string; version: number }>(
      c,
      `INSERT INTO devices (uuid, name, own, created_ms, events, seq, version)
       VALUES ($1, $2, false, $3, 0, $4, $5) RETURNING id, name, version`,
      [request.device.id, name, request.nowMs, tx.nextSeq(), await hlc(tx)],
    )
    if (!device) throw new Error('a device row inserted returned nothing')
    changed.push(device.id)
  } else if (device.name !== name) {
    // The hub names the device as paired: a rename, synced like any other.
    const version = await hlc(tx)
    await c.query(
      'UPDATE devices SET name = $1, seq = $2, version = $3, origin = NULL WHERE id = $4',
      [name, tx.nextSeq(), version, device.id],
    )
    device = { ...device, name, version }
    changed.push(device.id)
  }
  // A device paired again keeps its place: the hub still holds what it stored of it.
  const previous = await one<{ seq: number | null; epoch: number | null }>(
    c,
    `SELECT pushed_seq AS seq, epoch FROM sync_clients WHERE device_id = $1
     ORDER BY pushed_seq DESC LIMIT 1`,
    [device.id],
  )
  await c.query('UPDATE sync_clients SET revoked = true WHERE device_id = $1', [device.id])
  await c.query(
    `INSERT INTO sync_clients (id, device_id, name, token_hash, token_preview, paired_ms, pushed_seq, epoch)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      request.client.id,
      device.id,
      name,
      request.client.tokenHash,
      request.client.tokenPreview,
      request.nowMs,
      previous?.seq ?? 0,
      previous?.epoch ?? null,
    ],
  )
  const client = (await syncClients(c, request.client.id))[0] as SyncClientRow
  return {
    ok: true,
    client,
    version: device.version,
    changes: changed.length > 0 ? await deviceChanges(c, changed) : [],
  }
}

/** Where a paired device's pushes continue (see `SyncStore.pushedFor`). */
export async function pushedFor(
  c: Queryable,
  id: string,
  epoch: number,
  startSeq: number,
): Promise<number> {
  const row = await one<{ pushed_seq: number; epoch: number | null }>(
    c,
    'SELECT pushed_seq, epoch FROM sync_clients WHERE id = $1 FOR UPDATE',
    [id],
  )
  if (!row) return 0
  const { seq, changed } = resumedPush(
    { pushedSeq: row.pushed_seq, epoch: row.epoch },
    epoch,
    startSeq,
  )
  if (changed) {
    await c.query('UPDATE sync_clients SET pushed_seq = $1, epoch = $2 WHERE id = $3', [
      seq,
      epoch,
      id,
    ])
  }
  return seq
}
