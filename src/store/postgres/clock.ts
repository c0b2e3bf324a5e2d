/**
 * The hybrid logical clock of a PostgreSQL diary (`meta.hlc`): the version of every change a
 * person makes here (labels, settings, device names, deletions, re-derived events) and what sync
 * compares them by (`nextHlc`, `observeHlc` in the domain). Read and written inside the write
 * transaction, which holds the write lock: one writer at a time moves it.
 */
import { nextHlc, observeHlc } from '../../domain/sync.ts'
import { type Tx, one } from './db.ts'

/** The clock as the transaction left it so far (read once per transaction). */
const clocks = new WeakMap<Tx, number>()

async function read(tx: Tx): Promise<number> {
  const known = clocks.get(tx)
  if (known !== undefined) return known
  return (
    (await one<{ value: number }>(tx.c, "SELECT value FROM meta WHERE key = 'hlc'"))?.value ?? 0
  )
}

async function store(tx: Tx, value: number): Promise<void> {
  clocks.set(tx, value)
  await tx.c.query(
    `INSERT INTO meta (key, value) VALUES ('hlc', $1)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    [value],
  )
}

/** The next clock value: the version of a change made now. */
export async function hlc(tx: Tx): Promise<number> {
  const value = nextHlc(await read(tx), Date.now())
  await store(tx, value)
  return value
}

/** Moves the clock past a version heard from another daemon. */
export async function observe(tx: Tx, remote: number | null): Promise<void> {
  if (remote === null) return
  const last = await read(tx)
  const value = observeHlc(last, remote)
  if (value !== last) await store(tx, value)
}
