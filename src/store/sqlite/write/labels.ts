/** Labels: notes on stretches of time, created, changed and deleted at the daemon's time. */
import { parse as uuidParse, v7 as uuidv7 } from 'uuid'
import type { Change } from '../../../domain/changes.ts'
import { NotFoundError, UnprocessableError } from '../../../domain/errors.ts'
import type { Label, NewLabel } from '../../../domain/labels.ts'
import type { Connection } from '../connection.ts'
import { LABEL_COLUMNS, type StoredLabel, toLabel } from '../records.ts'
import { bury } from './tombstones.ts'
import type { Tx } from './transaction.ts'

function labelById(c: Connection, id: string): (Label & { seq: number }) | undefined {
  const row = c.get<StoredLabel & { seq: number }>(
    `SELECT seq, ${LABEL_COLUMNS} FROM labels WHERE id = $id`,
    { id },
  )
  return row ? { ...toLabel(row), seq: row.seq } : undefined
}

/** The label as stored now, and its change entry at `seq`. */
function stored(c: Connection, id: string, seq: number, created: boolean) {
  const label = toLabel(
    c.get<StoredLabel>(`SELECT ${LABEL_COLUMNS} FROM labels WHERE id = $id`, { id }) as StoredLabel,
  )
  const change: Change = { seq, kind: 'label', op: 'upsert', label, created }
  return { label, changes: [change] }
}

/** Creates a label at `nowMs` (see `LabelStore.create`). */
export function createLabel(
  tx: Tx,
  label: NewLabel,
  nowMs: number,
): { label: Label; changes: Change[] } {
  const seq = tx.nextSeq()
  const id = uuidv7()
  tx.c.run(
    `INSERT INTO labels (seq, id, text, context, start_ms, end_ms, created_ms, updated_ms, version)
     VALUES ($seq, $id, $text, $context, $start, $end, $now, $now, $version)`,
    {
      seq,
      version: tx.hlc(),
      id,
      text: label.text,
      context: label.context,
      start: label.startMs,
      end: label.endMs,
      now: nowMs,
    },
  )
  return stored(tx.c, id, seq, true)
}

/** Changes a label at `nowMs` (see `LabelStore.update`). */
export function updateLabel(
  tx: Tx,
  id: string,
  patch: Partial<NewLabel>,
  nowMs: number,
): { label: Label; changes: Change[] } {
  const current = labelById(tx.c, id)
  if (!current) throw new NotFoundError('label_not_found', `no label with id ${id}`, 'id')
  const next = { ...current, ...patch }
  if (next.endMs < next.startMs) {
    throw new UnprocessableError(
      'invalid_range',
      'the label would end before it starts',
      'body/endUtc',
    )
  }
  const seq = tx.nextSeq()
  tx.c.run(
    `UPDATE labels SET seq = $seq, text = $text, context = $context, start_ms = $start,
       end_ms = $end, updated_ms = $now, version = $version, origin = NULL WHERE id = $id`,
    {
      seq,
      version: tx.hlc(),
      id,
      text: next.text,
      context: next.context,
      start: next.startMs,
      end: next.endMs,
      now: nowMs,
    },
  )
  return stored(tx.c, id, seq, false)
}

/** Deletes a label (see `LabelStore.delete`). */
export function deleteLabel(tx: Tx, id: string): { deleted: boolean; changes: Change[] } {
  const current = labelById(tx.c, id)
  if (!current) return { deleted: false, changes: [] }
  const row = { seq: current.seq, id: Buffer.from(uuidParse(id)), startMs: current.startMs }
  return { deleted: true, changes: [bury(tx, 'label', row, id)] }
}
