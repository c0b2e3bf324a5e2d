/**
 * Daemon settings: what they are, their defaults, and how stored values become a calendar.
 */
import {
  type Calendar,
  canonicalTimeZone,
  formatStartOfDay,
  makeCalendar,
  parseStartOfDay,
  processTimeZone,
  unknownZone,
} from './calendar.ts'
import {
  type CategoryRule,
  DEFAULT_CATEGORY_RULES,
  validateCategoryRules,
} from './category-rules.ts'
import { UnprocessableError } from './errors.ts'
import { DEFAULT_HEARTBEAT_TIMEOUT_SEC, HEARTBEAT_TIMEOUT_BOUNDS } from './wakatime/derive.ts'

/** Settings as served by `GET /v1/settings`. */
export interface Settings {
  /** IANA zone for local-time math; null = the daemon process's zone. */
  timezone: string | null
  /** Local time (`HH:MM`) at which a day begins. */
  startOfDay: string
  /**
   * Which source wins where events overlap: higher number wins. `prefix-*` applies to the
   * sources starting with `prefix-` (the longest such prefix wins), `*` to sources not listed.
   * Editors and plugins rank above browsers, browsers above the window watcher.
   */
  sourcePriority: Record<string, number>
  /** Days of input-activity rows to keep; 0 keeps them forever. */
  inputRetentionDays: number
  /** Gaps in activity shorter than this many minutes do not end a session. */
  sessionGapMinutes: number
  /**
   * A WakaTime heartbeat covers the time until the next one of its editor when the gap is
   * shorter than this many seconds, else nothing (WakaTime's default: 15 minutes).
   */
  heartbeatTimeoutSec: number
  /** Ordered rules giving generic events (window, browser) their category; see category-rules. */
  categoryRules: CategoryRule[]
  /** Scheduled backups of the database (off by default); this daemon's own, never synced. */
  backups: BackupSettings
}

/** Scheduled backups: `daybook backup` on a timer, the oldest scheduled ones pruned. */
export interface BackupSettings {
  enabled: boolean
  /** Hours between backups: one per slot, slots starting at whole multiples from the epoch (UTC). */
  everyHours: number
  /** How many scheduled backups are kept (manual ones are never deleted). */
  keep: number
  /** Where they are written (an absolute path); null: `backups/` beside the database. */
  dir: string | null
}

/**
 * Settings about this machine rather than the person's history (a directory here): a `daybook`
 * export leaves them out and an import does not apply them.
 */
export const MACHINE_SETTINGS: readonly string[] = ['backups']

/** The settings without the machine's own (`MACHINE_SETTINGS`). */
export function portableSettings(settings: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).filter(([k]) => !MACHINE_SETTINGS.includes(k)))
}

/** Bounds of the backup settings (the API's schema and the domain check share them). */
export const BACKUP_BOUNDS = {
  everyHours: { min: 1, max: 24 * 366 },
  keep: { min: 1, max: 1000 },
  dirLength: 4096,
} as const

export const DEFAULT_BACKUP_SETTINGS: Readonly<BackupSettings> = {
  enabled: false,
  everyHours: 24,
  keep: 7,
  dir: null,
}

export const DEFAULT_SOURCE_PRIORITY: Readonly<Record<string, number>> = {
  // Editors first: what you edit is what you work on.
  'daybook-editor': 300,
  'wakatime-*': 300,
  'aw-watcher-editor': 300,
  'skopio-vscode': 300,
  'skopio-zed': 300,
  'skopio-jetbrains': 300,
  // Then the browser: the page you read, rather than "the browser is open".
  'daybook-browser': 200,
  'aw-watcher-web': 200,
  '*': 200,
  // Then the focused window.
  'daybook-window': 100,
  'aw-watcher-window': 100,
  'skopio-desktop': 100,
}

export const DEFAULT_SETTINGS: Readonly<Settings> = {
  timezone: null,
  startOfDay: '00:00',
  sourcePriority: DEFAULT_SOURCE_PRIORITY,
  inputRetentionDays: 30,
  sessionGapMinutes: 15,
  heartbeatTimeoutSec: DEFAULT_HEARTBEAT_TIMEOUT_SEC,
  categoryRules: [...DEFAULT_CATEGORY_RULES],
  backups: DEFAULT_BACKUP_SETTINGS,
}

/** Stored values over defaults; keys the store holds but this build does not know are dropped. */
export function withDefaults(stored: Record<string, unknown>): Settings {
  const out: Record<string, unknown> = { ...DEFAULT_SETTINGS }
  for (const k of Object.keys(DEFAULT_SETTINGS)) if (k in stored) out[k] = stored[k]
  return out as unknown as Settings
}

/**
 * The calendar a request computes in: its own `tz` when given, else the setting, else the
 * process zone; the day boundary always comes from the setting.
 */
export function calendarFor(settings: Settings, requestZone?: string): Calendar {
  return makeCalendar(requestZone ?? settings.timezone ?? processTimeZone(), settings.startOfDay)
}

/**
 * Checks a settings change and returns it in canonical form: a zone name as the zone database
 * spells it, a start of day as `HH:MM`. Throws `UnprocessableError` naming the field.
 */
export function normalizeSettingsPatch(patch: Partial<Settings>): Partial<Settings> {
  const out: Partial<Settings> = { ...patch }
  if (patch.timezone !== undefined && patch.timezone !== null) {
    const canonical = canonicalTimeZone(patch.timezone)
    if (canonical === undefined) throw unknownZone(patch.timezone, 'timezone')
    out.timezone = canonical
  }
  if (patch.startOfDay !== undefined) {
    const minutes = parseStartOfDay(patch.startOfDay)
    // Every local day is then a whole number of 15-minute rollup slots, in every zone.
    if (minutes % 15 !== 0) {
      throw new UnprocessableError(
        'invalid_start_of_day',
        `startOfDay must be on a quarter hour (:00, :15, :30 or :45), got ${JSON.stringify(patch.startOfDay)}`,
        'startOfDay',
      )
    }
    out.startOfDay = formatStartOfDay(minutes)
  }
  if (patch.categoryRules !== undefined) validateCategoryRules(patch.categoryRules)
  const timeout = patch.heartbeatTimeoutSec
  if (
    timeout !== undefined &&
    !(
      Number.isInteger(timeout) &&
      timeout >= HEARTBEAT_TIMEOUT_BOUNDS.min &&
      timeout <= HEARTBEAT_TIMEOUT_BOUNDS.max
    )
  ) {
    throw new UnprocessableError(
      'invalid_heartbeat_timeout',
      `heartbeatTimeoutSec must be a whole number of seconds from ${HEARTBEAT_TIMEOUT_BOUNDS.min} to ${HEARTBEAT_TIMEOUT_BOUNDS.max}, got ${JSON.stringify(timeout)}`,
      'heartbeatTimeoutSec',
    )
  }
  if (patch.backups !== undefined) out.backups = checkBackupSettings(patch.backups)
  return out
}

/**
 * Checks the backup settings (the whole object: a patch replaces it), naming the field at fault;
 * also what an imported settings record passes, which no schema checked.
 */
export function checkBackupSettings(value: unknown): BackupSettings {
  const bad = (field: string, expected: string, got: unknown): never => {
    throw new UnprocessableError(
      'invalid_backups',
      `backups.${field} must be ${expected}, got ${JSON.stringify(got) ?? 'nothing'}`,
      `backups/${field}`,
    )
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UnprocessableError(
      'invalid_backups',
      'backups must be an object {enabled, everyHours, keep, dir}',
      'backups',
    )
  }
  const v = value as Record<string, unknown>
  for (const key of Object.keys(v)) {
    if (!(key in DEFAULT_BACKUP_SETTINGS)) bad(key, 'absent (not a known field)', v[key])
  }
  const { everyHours, keep, dir, enabled } = v
  if (typeof enabled !== 'boolean') bad('enabled', 'true or false', enabled)
  const whole = (field: string, n: unknown, b: { min: number; max: number }) => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < b.min || n > b.max) {
      bad(field, `a whole number from ${b.min} to ${b.max}`, n)
    }
  }
  whole('everyHours', everyHours, BACKUP_BOUNDS.everyHours)
  whole('keep', keep, BACKUP_BOUNDS.keep)
  if (
    dir !== null &&
    (typeof dir !== 'string' ||
      !isAbsolutePath(dir) ||
      dir.length > BACKUP_BOUNDS.dirLength ||
      dir.includes('\0'))
  ) {
    bad('dir', 'an absolute path or null', dir)
  }
  return { enabled, everyHours, keep, dir } as BackupSettings
}

/** An absolute path on this platform's terms (POSIX `/…`, Windows `C:\…` or `\\server\…`). */
function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\')
}
