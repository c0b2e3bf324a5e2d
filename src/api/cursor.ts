/**
 * Page cursors: `<position>:<id>`, a row's sort key (an integer: a start in ms, a last-update time)
 * and its UUID. Opaque to clients; a listing hands one out and takes it back as `after`.
 */
import { BadRequestError } from '../domain/errors.ts'

const CURSOR_RE = /^(\d{1,16}):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/

/** The cursor of a row. */
export function encodeCursor(position: number, id: string): string {
  return `${position}:${id}`
}

/**
 * The row a cursor names; a 400 `invalid_cursor` on `field` otherwise, saying where a valid one
 * comes from (`source`).
 */
export function decodeCursor(
  value: string,
  source: string,
  field = 'after',
): { position: number; id: string } {
  const m = CURSOR_RE.exec(value)
  if (m === null) {
    throw new BadRequestError('invalid_cursor', `${field} must be ${source}`, field)
  }
  return { position: Number(m[1]), id: m[2] as string }
}
