/**
 * The year-long questions every database bench asks (`npm run bench`, and its `--postgres` run):
 * the dashboard's day, week and month buckets, the filtered year, the total, the insights and
 * today by hour, each with the path without rollups (`reference`) and the raw GROUP BY shaped
 * like it (SQLite's dialect; `postgresSql` in bench/raw.ts turns it into PostgreSQL's).
 */
import { type TimeRange, makeCalendar } from '../src/domain/calendar.ts'
import { parseInsightRange } from '../src/domain/insights.ts'
import type { ActiveTimeQuery } from '../src/store/ports.ts'
import { RAW_SCANS } from './raw.ts'

export interface Question {
  name: string
  url: string
  reference: ActiveTimeQuery
  /** The raw GROUP BY shaped like the question. */
  raw: string
  rawRange: [number, number]
  target: number
  /** Not resolved without rollups too (3 runs of that take minutes on the heavy year). */
  noReference?: boolean
  /** Not a year-long question: the ratio targets (≥ 20×, ≤ 1/5 of raw) are for those. */
  short?: boolean
}

/**
 * The eight questions over `year` in `zone`, and today by hour (UTC) up to `now`: what the
 * dashboard asks on the year. `custom(unit)` is the query string of the year in buckets of `unit`.
 */
export function yearQuestions(o: { year: number; zone: string; now: number }): {
  questions: Question[]
  yearRange: TimeRange
  custom: (unit: string) => string
  cal: ReturnType<typeof makeCalendar>
} {
  const { year, now } = o
  const ZONE = o.zone
  const today = Math.floor(now / 86_400_000) * 86_400_000
  const cal = makeCalendar(ZONE)
  const yearRange = parseInsightRange(String(year), cal)
  const custom = (unit: string) =>
    `preset[custom][start]=${new Date(yearRange.startMs).toISOString()}&preset[custom][end]=${new Date(yearRange.endMs).toISOString()}&preset[custom][bucket]=${unit}&tz=${ZONE}`
  const todayRange = { startMs: today, endMs: now }
  const questions: Question[] = [
    {
      name: 'day buckets by project, year',
      url: `/v1/summary/buckets?${custom('day')}&groupBy=project`,
      reference: {
        range: yearRange,
        unit: 'day',
        calendar: cal,
        groupBy: 'project',
        filters: {},
        includeAfk: false,
      },
      raw: RAW_SCANS.dayByProject,
      rawRange: [yearRange.startMs, yearRange.endMs],
      target: 50,
    },
    {
      name: 'week buckets by language, year',
      url: `/v1/summary/buckets?${custom('week')}&groupBy=language`,
      reference: {
        range: yearRange,
        unit: 'week',
        calendar: cal,
        groupBy: 'language',
        filters: {},
        includeAfk: false,
      },
      raw: RAW_SCANS.weekByLanguage,
      rawRange: [yearRange.startMs, yearRange.endMs],
      target: 50,
    },
    {
      name: 'month buckets by app, year',
      url: `/v1/summary/buckets?${custom('month')}&groupBy=app`,
      reference: {
        range: yearRange,
        unit: 'month',
        calendar: cal,
        groupBy: 'app',
        filters: {},
        includeAfk: false,
      },
      raw: RAW_SCANS.monthByApp,
      rawRange: [yearRange.startMs, yearRange.endMs],
      target: 50,
    },
    {
      name: 'filtered year: one project, by language, per day',
      url: `/v1/summary/buckets?${custom('day')}&groupBy=language&projects[]=project-07`,
      reference: {
        range: yearRange,
        unit: 'day',
        calendar: cal,
        groupBy: 'language',
        filters: { project: ['project-07'] },
        includeAfk: false,
      },
      raw: RAW_SCANS.filteredYear,
      rawRange: [yearRange.startMs, yearRange.endMs],
      target: 150,
    },
    {
      name: '/summary/total, year',
      url: `/v1/summary/total?start=${new Date(yearRange.startMs).toISOString()}&end=${new Date(yearRange.endMs).toISOString()}`,
      reference: { range: yearRange, unit: null, calendar: cal, filters: {}, includeAfk: false },
      raw: RAW_SCANS.yearTotal,
      rawRange: [yearRange.startMs, yearRange.endMs],
      target: 50,
    },
    {
      name: 'topN projects, year',
      url: `/v1/insights?insightType=topN&insightRange=${year}&groupBy=project&limit=10&tz=${ZONE}`,
      reference: {
        range: yearRange,
        unit: null,
        calendar: cal,
        groupBy: 'project',
        filters: {},
        includeAfk: false,
      },
      raw: RAW_SCANS.topN,
      rawRange: [yearRange.startMs, yearRange.endMs],
      target: 50,
    },
    {
      name: 'mostActiveDay, year',
      url: `/v1/insights?insightType=mostActiveDay&insightRange=${year}&tz=${ZONE}`,
      reference: { range: yearRange, unit: 'day', calendar: cal, filters: {}, includeAfk: false },
      raw: RAW_SCANS.mostActiveDay,
      rawRange: [yearRange.startMs, yearRange.endMs],
      target: 50,
    },
    {
      name: 'today by hour',
      url: `/v1/summary/buckets?preset=today&tz=UTC`,
      reference: {
        range: todayRange,
        unit: 'hour',
        calendar: makeCalendar('UTC'),
        filters: {},
        includeAfk: false,
      },
      raw: RAW_SCANS.todayByHour,
      rawRange: [today, now],
      target: 50,
      short: true,
    },
  ]
  return { questions, yearRange, custom, cal }
}
