/**
 * What the watchers report about themselves, for `daybook watch --status` and the daemon's
 * status: a small file in the spool dir, rewritten (atomically) every few seconds by the running
 * watcher process, read by the others.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from './files.ts'

/** The screenshot collector's counts since it started. */
export interface ScreenshotCounts {
  captured: number
  /** Frames within a few bits (perceptual hash) of the previous frame of the same window. */
  skippedIdentical: number
  /** Private windows, excluded apps, titles and URLs. */
  skippedPrivate: number
  /** Frames due while the person was away or the screen locked. */
  skippedAway: number
  /** Frames waiting for OCR. */
  ocrPending: number
  /** Frames stored without text: OCR took longer than `ocr.timeoutSecs`. */
  ocrTimedOut: number
  ocrMsP50: number | null
  ocrMsP95: number | null
}

export interface CollectorStatus {
  collector: 'window' | 'afk' | 'input' | 'screenshots'
  /** What it is doing: `watching`, `away`, `sending`, `retrying`. */
  state: string
  /** Items not yet acknowledged by the daemon. */
  waiting: number
  /** Items the daemon acknowledged since the watcher started. */
  delivered: number
  lastSentAt: string | null
  /** The last thing it recorded, in words. */
  last: string | null
  /** The screenshot collector's counts. */
  screenshots?: ScreenshotCounts
}

export interface WatchStatus {
  pid: number
  target: string
  updatedAt: string
  collectors: CollectorStatus[]
}

/** Where the watcher of a data dir writes its report. */
export function watchStatusFile(dataDir: string): string {
  return path.join(dataDir, 'spool', 'watch-status.json')
}

export function writeWatchStatus(file: string, status: WatchStatus): void {
  writeFileAtomic(file, `${JSON.stringify(status, null, 2)}\n`)
}

/** The last report, or undefined when no watcher has written one. */
export async function readWatchStatus(file: string): Promise<WatchStatus | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as WatchStatus
  } catch {
    // None written yet, or caught mid-replace on a platform without atomic rename.
    return undefined
  }
}
