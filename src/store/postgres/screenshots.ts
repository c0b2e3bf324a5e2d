/**
 * Screenshots on the PostgreSQL store: not yet. Frames are the most private thing Daybook keeps
 * and stay on the machine that took them, in its SQLite store; a daemon on PostgreSQL has none.
 * Its settings read as the defaults (capture off), its index is empty, and turning capture on or
 * storing a frame is refused with a typed error the API answers as 409 naming the reason.
 */
import { ConflictError } from '../../domain/errors.ts'
import { DEFAULT_SCREENSHOT_CONFIG } from '../../domain/screenshots.ts'
import type { ScreenshotStore } from '../ports.ts'

function refuse(): never {
  throw new ConflictError(
    'screenshots_need_sqlite',
    'screenshots are kept in the SQLite store of the machine that takes them; this daemon keeps its diary in PostgreSQL',
  )
}

/** The screenshots port of a PostgreSQL store: nothing stored, capture refused. */
export function pgScreenshotStore(): ScreenshotStore {
  return {
    settings: async () => ({ config: DEFAULT_SCREENSHOT_CONFIG, pause: null }),
    saveSettings: async () => refuse(),
    insert: async () => refuse(),
    around: async () => [],
    searchText: async () => [],
    totals: async () => ({ frames: 0, bytes: 0, oldestMs: null }),
    prune: async () => [],
    purge: async () => [],
  }
}
