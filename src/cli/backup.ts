/**
 * `daybook backup [FILE]` (through the running daemon: a consistent copy while it ingests) and
 * `daybook restore FILE` (with the daemon stopped: checked, the current database kept aside).
 */
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  closeSync,
  renameSync,
  rmSync,
} from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import { readSetting } from '../config/load.ts'
import { lockDataDir } from '../config/lock.ts'
import { dataPaths } from '../config/paths.ts'
import { checkDatabaseFile } from '../store/sqlite/backup.ts'
import { CliError, type Command, parseFlags } from './command.ts'
import { clientFlags, connect } from './connect.ts'

const BACKUP_HELP = `Usage: daybook backup [FILE] [options]

Asks the running daemon for a backup: a consistent copy of the database made while it runs
and ingests (SQLite's VACUUM INTO, through the writer), holding every change acknowledged
before it started, checked with PRAGMA integrity_check and gzip-compressed. Written to FILE
(never overwritten), or to daybook-<time>.db.gz in the backup directory (the backups
setting's dir, else <data-dir>/backups). GET /v1/backups lists them. Scheduled backups: the
backups setting (PUT /v1/settings, or the dashboard's Status view; see the README).
Restore one with: daybook restore FILE (the daemon stopped).

Options:
  --json          Print the daemon's answer as JSON
${clientFlags}
  -h, --help      Show this help
`

const RESTORE_HELP = `Usage: daybook restore FILE [--data-dir DIR]

Replaces the database of a data dir with a backup (gzip-compressed or not). The daemon must
be stopped. The backup is checked first (integrity_check, and a schema version this Daybook
knows; an older one is migrated when the daemon next starts). The current database is not
deleted: it is renamed to daybook.db.before-restore-<time>, and the command says where.

Options:
  --data-dir DIR  The data dir to restore into                 [DAYBOOK_DATA_DIR]
  -h, --help      Show this help
`

export const backupCommand: Command = {
  name: 'backup',
  help: BACKUP_HELP,
  async run(argv, env) {
    const { values, positionals } = parseFlags(
      'backup',
      argv,
      {
        json: { type: 'boolean' },
        'data-dir': { type: 'string' },
        'config-dir': { type: 'string' },
        url: { type: 'string' },
      },
      true,
    )
    if (positionals.length > 1) throw new CliError('give at most one FILE', 2, true)
    const file = positionals[0] === undefined ? undefined : path.resolve(positionals[0])
    const result = await connect(values, env).post<{ file: string; bytes: number }>(
      '/v1/backups',
      file === undefined ? {} : { file },
    )
    if (values.json === true) process.stdout.write(`${JSON.stringify(result)}\n`)
    else process.stdout.write(`backup written: ${result.file} (${result.bytes} bytes)\n`)
    return 0
  },
}

/** gzip's first two bytes. */
function isGzip(file: string): boolean {
  const head = Buffer.alloc(2)
  const fd = openSync(file, 'r')
  try {
    readSync(fd, head, 0, 2, 0)
  } finally {
    closeSync(fd)
  }
  return head[0] === 0x1f && head[1] === 0x8b
}

export const restoreCommand: Command = {
  name: 'restore',
  help: RESTORE_HELP,
  async run(argv, env) {
    const { values, positionals } = parseFlags(
      'restore',
      argv,
      { 'data-dir': { type: 'string' } },
      true,
    )
    const [file] = positionals
    if (file === undefined || positionals.length > 1) {
      throw new CliError('name one backup FILE to restore', 2, true)
    }
    if (!existsSync(file)) throw new CliError(`cannot read ${file}: no such file`)
    const dataDir = readSetting('dataDir', { 'data-dir': values['data-dir'] }, env)
    const paths = dataPaths(dataDir)
    // The daemon holds this lock for as long as it lives: taking it proves none runs, and holding
    // it keeps one from starting half-way through the restore.
    mkdirSync(dataDir, { recursive: true, mode: 0o700 })
    const lock = lockDataDir(paths.lock)
    if (lock === undefined) {
      throw new CliError(
        `a daemon is running on ${dataDir}: stop it first (daybook restore needs it stopped)`,
      )
    }
    try {
      const staged = `${paths.database}.restoring`
      rmSync(staged, { force: true })
      if (isGzip(file)) {
        await pipeline(
          createReadStream(file),
          createGunzip(),
          createWriteStream(staged, { mode: 0o600 }),
        )
      } else {
        await pipeline(createReadStream(file), createWriteStream(staged, { mode: 0o600 }))
      }
      let checked
      try {
        checked = checkDatabaseFile(staged)
      } catch (err) {
        rmSync(staged, { force: true })
        throw new CliError(`${file} is not a sound Daybook backup: ${(err as Error).message}`)
      }
      if (checked.version > checked.latest) {
        rmSync(staged, { force: true })
        throw new CliError(
          `${file} has schema version ${checked.version}, newer than this Daybook's ${checked.latest}: upgrade Daybook first`,
        )
      }
      let kept: string | undefined
      if (existsSync(paths.database)) {
        const stamp = new Date().toISOString().replace(/[-:]|\.\d+/g, '')
        kept = `${paths.database}.before-restore-${stamp}`
        renameSync(paths.database, kept)
        // The WAL and shared-memory files belong to the database kept aside.
        for (const suffix of ['-wal', '-shm']) {
          if (existsSync(paths.database + suffix))
            renameSync(paths.database + suffix, kept + suffix)
        }
      }
      renameSync(staged, paths.database)
      process.stdout.write(
        `restored ${file} into ${paths.database} (schema version ${checked.version})\n` +
          (kept === undefined ? '' : `the previous database is kept at ${kept}\n`),
      )
      return 0
    } finally {
      lock.release()
    }
  },
}
