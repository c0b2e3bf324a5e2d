/**
 * The stores the conformance suite runs over, one factory per kind, chosen by `STORES` (a
 * comma-separated list of kinds; default `sqlite,postgres`, PostgreSQL skipping with its reason
 * where no server can be started). A kind this file does not know fails loudly:
 * a typo must not pass as a green run over no store.
 */
import path from 'node:path'
import { openStore } from '../../src/store/open.ts'
import { tempDir } from '../helpers.ts'
import { test } from 'node:test'
import { freshSchema, postgresUnavailable } from '../postgres.ts'
import { type StoreFactory, conformance } from './conformance.ts'

/** Opens a fresh, migrated store of each kind; the test closes it when it ends. */
export const STORE_FACTORIES: Readonly<Record<string, StoreFactory>> = {
  // The worker threads really started (one writer and one reader), so reads and writes take the
  // paths they take in the daemon.
  sqlite: async (t) => {
    const store = await openStore({
      driver: 'sqlite',
      file: path.join(tempDir(t), 'daybook.db'),
      readers: 1,
    })
    t.after(() => store.close())
    await store.migrate()
    return store
  },
  // A schema of its own on the throwaway server (`test/postgres.ts`), with a small pool so
  // connections are shared as in a busy daemon (`conformanceOf` skips without a server).
  postgres: async (t) => {
    const { url, schema, drop } = await freshSchema()
    const store = await openStore({ driver: 'postgres', url, schema, poolSize: 4 })
    t.after(async () => {
      await store.close()
      await drop()
    })
    await store.migrate()
    return store
  },
}

/**
 * The kinds `list` names (without an argument: `STORES`), each with its factory; throws on a kind
 * with no factory.
 */
export function storesUnderTest(...args: [list?: string | undefined]): [string, StoreFactory][] {
  const list = args.length === 0 ? process.env.STORES : args[0]
  const kinds = (list ?? 'sqlite,postgres')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '')
  if (kinds.length === 0) throw new Error('STORES names no store kind')
  return kinds.map((kind) => {
    const factory = STORE_FACTORIES[kind]
    if (!factory) {
      throw new Error(
        `STORES names an unknown store kind ${JSON.stringify(kind)} (known: ${Object.keys(STORE_FACTORIES).join(', ')})`,
      )
    }
    return [kind, factory]
  })
}

/**
 * The conformance suite over one store kind, in the file that calls it (a file per kind, so the
 * kinds run side by side): skipped with the reason when `STORES` leaves the kind out or, on a
 * developer's machine, PostgreSQL cannot be started (CI requires it).
 */
export async function conformanceOf(kind: string): Promise<void> {
  const chosen = storesUnderTest().find(([k]) => k === kind)
  const missing =
    chosen === undefined
      ? `STORES=${process.env.STORES ?? ''} leaves ${kind} out`
      : kind === 'postgres'
        ? await postgresUnavailable()
        : undefined
  if (chosen !== undefined && missing === undefined) conformance(kind, chosen[1])
  else test(`${kind}: the store conformance suite`, (t) => t.skip(missing))
}
