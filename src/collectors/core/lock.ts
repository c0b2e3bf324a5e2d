/**
 * One watcher process per spool dir: two would each rewrite the other's outbox files and lose
 * what the other had not yet sent. The lock is a pid file; one left by a process that no longer
 * runs is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import path from 'node:path'
import { ensurePrivateDir } from '../../config/files.ts'
import { isProcessAlive } from '../../config/process.ts'

/** The spool dir of a data dir: outboxes, the lock and the status report (`status.ts`). */
export function spoolDir(dataDir: string): string {
  return path.join(dataDir, 'spool')
}

/**
 * Takes `<spool dir>/watch.lock` for this process. Returns a release function; throws with the
 * holder's pid when a live process holds it.
 */
export function lockSpoolDir(dataDir: string): () => void {
  const dir = spoolDir(dataDir)
  ensurePrivateDir(dir)
  const lock = path.join(dir, 'watch.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o600)
      writeSync(fd, `${process.pid}\n`)
      closeSync(fd)
      return () => rmSync(lock, { force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const pid = Number(readFileSync(lock, 'utf8').trim())
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && isProcessAlive(pid)) {
        throw new Error(
          `another watcher (pid ${pid}) is using ${dir}; one daybook watch process runs ` +
            'every collector (daybook watch window afk input)',
        )
      }
      rmSync(lock, { force: true })
    }
  }
  throw new Error(`cannot take the lock ${lock}`)
}
