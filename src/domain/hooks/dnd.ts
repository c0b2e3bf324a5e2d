/**
 * Do-not-disturb: quiet hours on the local clock, and a manual switch (until a time, or until
 * turned off). While it is on, hooks' notifications wait or are dropped, as each action says;
 * webhooks, commands, labels and the stream go on.
 */
import { Temporal } from 'temporal-polyfill'
import { parseStartOfDay } from '../calendar.ts'
import { UnprocessableError } from '../errors.ts'

/** Local times `HH:MM` on the given ISO weekdays (Monday = 1) of the day the period begins. */
export interface QuietHours {
  start: string
  end: string
  days: number[]
}

export interface DndConfig {
  /** Manual do-not-disturb. */
  enabled: boolean
  /** When manual do-not-disturb ends by itself (epoch ms); null: when turned off. */
  untilMs: number | null
  quietHours: QuietHours[]
}

export const DEFAULT_DND: Readonly<DndConfig> = { enabled: false, untilMs: null, quietHours: [] }

export const ALL_DAYS: readonly number[] = [1, 2, 3, 4, 5, 6, 7]

/** Checks quiet hours (`HH:MM`, a start unlike the end); throws a 422 naming the field. */
export function checkDnd(config: DndConfig, field = 'body'): DndConfig {
  config.quietHours.forEach((q, i) => {
    const at = `${field}/quietHours/${i}`
    const start = parseStartOfDay(q.start, `${at}/start`)
    const end = parseStartOfDay(q.end, `${at}/end`)
    if (start === end) {
      throw new UnprocessableError(
        'invalid_quiet_hours',
        `${at}/end equals its start; quiet hours need a start and a different end`,
        `${at}/end`,
      )
    }
  })
  return config
}

/** Why do-not-disturb is on at `nowMs` in `timeZone`, or null when it is off. */
export function dndReason(
  config: DndConfig,
  nowMs: number,
  timeZone: string,
): 'manual' | 'quiet_hours' | null {
  if (config.enabled && (config.untilMs === null || nowMs < config.untilMs)) return 'manual'
  if (config.quietHours.length === 0) return null
  const local = Temporal.Instant.fromEpochMilliseconds(nowMs).toZonedDateTimeISO(timeZone)
  const minute = local.hour * 60 + local.minute
  const today = local.dayOfWeek
  const yesterday = today === 1 ? 7 : today - 1
  for (const q of config.quietHours) {
    const start = parseStartOfDay(q.start)
    const end = parseStartOfDay(q.end)
    const inside =
      start < end
        ? q.days.includes(today) && minute >= start && minute < end
        : // Over midnight (22:00–07:00): the evening of a listed day, or the morning after one.
          (q.days.includes(today) && minute >= start) ||
          (q.days.includes(yesterday) && minute < end)
    if (inside) return 'quiet_hours'
  }
  return null
}
