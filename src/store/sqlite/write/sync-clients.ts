/**
 * A hub's pairing codes and paired devices (sync's clients).
 */
import type { Change } from '../../../domain/changes.ts'
import { pairingName, pairingVerdict, resumedPush } from '../../../domain/sync-hub.ts'
import type { PairingRefusal, SyncClientRow } from '../../ports.ts'
import type { Connection } from '../connection.ts'
import { deviceChanges } from '../records.ts'
import { syncClients } from '../sync.ts'
import { type Tx } from './transaction.ts'

/** A hub stores a pairing code's hash. */
export function createCode(
  c: Connection,
  code: { hash: Uint8Array; name: string | null; nowMs: number; expiresMs: number },
): void {
  c.run('INSERT INTO sync_codes (hash, name, created_ms, expires_ms) VALUES ($h, $n, $now, $exp)', {
    h: code.hash,
    n: code.name,
    now: code.nowMs,
    exp: code.expiresMs,
  })
}

/** A hub pairs a device with a code (see `SyncStore.pair`). */
export function pair(
  tx: Tx,
  request: {
    codeHash: Uint8Array
    device: { id: string; name: string }
    client: { id: string; tokenHash: string; tokenPreview: string }
    nowMs: number
  },
):
  | { ok: true; client: SyncClientRow; version: number; changes: Change[] }
  | { ok: false; reason: PairingRefusal; name?: string } {
  const { c } = tx
  const row = c.get<{ name: string | null; expires_ms: number; used_ms: number | null }>(
    'SELECT name, expires_ms, used_ms FROM sync_codes WHERE hash = $h',
    { h: request.codeHash },
  )
  const code = row && { name: row.name, expiresMs: row.expires_ms, usedMs: row.used_ms }
  const holder = c.get<{ uuid: string }>('SELECT uuid FROM devices WHERE name = $n', {
    n: pairingName(code, request.device),
  })?.uuid
  const verdict = pairingVerdict(code, request.device, request.nowMs, holder)
  if (!verdict.ok) return verdict
  const { name } = verdict
  c.run('UPDATE sync_codes SET used_ms = $now WHERE hash = $h', {
    now: request.nowMs,
    h: request.codeHash,
  })
  let device = c.get<{ id: number; name: string; version: number }>(
    'SELECT id, name, version FROM devices WHERE uuid = $u',
    { u: request.device.id },
  )
  const changed: number[] = []
  if (!device) {
    // Named by the hub now (a version later than the device's own name, which it then takes).
    device = c.get<{ id: number; name: string; version: number }>(
      `INSERT INTO devices (uuid, name, own, created_ms, events, seq, version)
       VALUES ($u, $n, 0, $now, 0, $seq, $v) RETURNING id, name, version`,
      { u: request.device.id, n: name, now: request.nowMs, seq: tx.nextSeq(), v: tx.hlc() },
    )
    if (!device) throw new Error('a device row inserted returned nothing')
    changed.push(device.id)
  } else if (device.name !== name) {
    // The hub names the device as paired: a rename, synced like any other.
    const version = tx.hlc()
    c.run('UPDATE devices SET name = $n, seq = $seq, version = $v, origin = NULL WHERE id = $id', {
      n: name,
      seq: tx.nextSeq(),
      v: version,
      id: device.id,
    })
    device = { ...device, name, version }
    tx.dims.reset()
    changed.push(device.id)
  }
  // A device paired again keeps its place: the hub still holds what it stored of it.
  const previous =
    c.get<{ seq: number | null; epoch: number | null }>(
      `SELECT max(pushed_seq) AS seq, epoch FROM sync_clients WHERE device_id = $d`,
      { d: device.id },
    ) ?? undefined
  c.run('UPDATE sync_clients SET revoked = 1 WHERE device_id = $d', { d: device.id })
  c.run(
    `INSERT INTO sync_clients (id, device_id, name, token_hash, token_preview, paired_ms, pushed_seq, epoch)
     VALUES ($id, $d, $n, $h, $p, $now, $seq, $epoch)`,
    {
      id: request.client.id,
      d: device.id,
      n: name,
      h: request.client.tokenHash,
      p: request.client.tokenPreview,
      now: request.nowMs,
      seq: previous?.seq ?? 0,
      epoch: previous?.epoch ?? null,
    },
  )
  const client = syncClients(c, 'WHERE s.id = $id', { id: request.client.id })[0] as SyncClientRow
  return {
    ok: true,
    client,
    version: device.version,
    changes: changed.length > 0 ? deviceChanges(c, changed) : [],
  }
}

/** Revokes a paired device's token. */
export function revokeClient(c: Connection, id: string): boolean {
  return c.run('UPDATE sync_clients SET revoked = 1 WHERE id = $id', { id }) > 0
}

/** Records when a paired device was last heard from. */
export function touchClient(c: Connection, id: string, nowMs: number): void {
  c.run('UPDATE sync_clients SET last_seen_ms = $now WHERE id = $id', { id, now: nowMs })
}

/** Where a paired device's pushes continue (see `SyncStore.pushedFor`). */
export function pushedFor(c: Connection, id: string, epoch: number, startSeq: number): number {
  const row = c.get<{ pushed_seq: number; epoch: number | null }>(
    'SELECT pushed_seq, epoch FROM sync_clients WHERE id = $id',
    { id },
  )
  if (!row) return 0
  const { seq, changed } = resumedPush(
    { pushedSeq: row.pushed_seq, epoch: row.epoch },
    epoch,
    startSeq,
  )
  if (changed) {
    c.run('UPDATE sync_clients SET pushed_seq = $seq, epoch = $epoch WHERE id = $id', {
      seq,
      epoch,
      id,
    })
  }
  return seq
}
