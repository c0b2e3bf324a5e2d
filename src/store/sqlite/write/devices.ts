/** Devices: renaming one; creating those an import names (others are created by the writes that first name them). */
import type { Change } from '../../../domain/changes.ts'
import { ConflictError, NotFoundError } from '../../../domain/errors.ts'
import type { DeviceRow } from '../../ports.ts'
import { deviceChanges, deviceRows } from '../records.ts'
import type { Tx } from './transaction.ts'

/** Creates the devices of these names not stored yet (see `DeviceStore.ensure`). */
export function ensureDevices(
  tx: Tx,
  names: readonly string[],
  nowMs: number,
): { created: number; changes: Change[] } {
  let created = 0
  for (const name of new Set(names)) {
    if (tx.c.get('SELECT 1 AS x FROM devices WHERE name = $n', { n: name }) === undefined) {
      created++
    }
    tx.dims.device(name, tx.nextSeq, nowMs)
  }
  return { created, changes: tx.changes.finish() }
}

/** Renames a device (see `DeviceStore.rename`). */
export function renameDevice(
  tx: Tx,
  uuid: string,
  name: string,
): { device: DeviceRow; changes: Change[] } {
  const { c } = tx
  const row = c.get<{ id: number; name: string }>('SELECT id, name FROM devices WHERE uuid = $u', {
    u: uuid,
  })
  if (!row) throw new NotFoundError('device_not_found', `no device with id ${uuid}`, 'id')
  const other = c.get<{ id: number }>('SELECT id FROM devices WHERE name = $n', { n: name })
  if (other && other.id !== row.id) {
    throw new ConflictError(
      'device_name_taken',
      `another device is named ${JSON.stringify(name)}`,
      'name',
    )
  }
  const seq = tx.nextSeq()
  c.run('UPDATE devices SET name = $n, seq = $seq, version = $v, origin = NULL WHERE id = $id', {
    n: name,
    seq,
    v: tx.hlc(),
    id: row.id,
  })
  // The dimension layer caches devices by name.
  tx.dims.reset()
  return { device: deviceRows(c, [row.id])[0] as DeviceRow, changes: deviceChanges(c, [row.id]) }
}
