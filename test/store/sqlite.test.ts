/**
 * The SQLite store: the conformance suite, with the store's worker threads really started (one
 * writer and one reader, so reads and writes take the paths they take in the daemon).
 */
import path from 'node:path'
import { openStore } from '../../src/store/open.ts'
import { tempDir } from '../helpers.ts'
import { conformance } from './conformance.ts'

conformance('sqlite', async (t) => {
  const store = await openStore({
    driver: 'sqlite',
    file: path.join(tempDir(t), 'daybook.db'),
    readers: 1,
  })
  t.after(() => store.close())
  await store.migrate()
  return store
})
