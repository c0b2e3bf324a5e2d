/**
 * A reproducible heavy year of activity for `npm run bench`: a seeded generator, so every run (and
 * every ingest client process) produces exactly the same rows for the same day.
 *
 * A working day has a window watcher reporting the focused app all day long (it keeps reporting
 * while the person is away), editor plugins reporting coding in sessions, a browser extension
 * reporting tabs in browsing stretches (editor and browser time overlap the window watcher's, and
 * sometimes each other), about ten AFK periods, and 5-minute input buckets while someone is
 * there. A heavy user: about 6,700 events on a working day and 2,700 on a weekend day, two million
 * in a year, across 40 coding projects (window and browser events carry the app or the site as
 * their project, as the real watchers do), 60 apps, 15 languages, 8 categories and about 20,000
 * entities (files, windows, pages).
 */

/** A small, fast, seedable PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface BenchEvent {
  timestamp: string
  end_timestamp: string
  category: string
  app_name: string
  entity_name: string
  entity_type: string
  project_name: string
  language_name: string | null
  branch_name: string | null
  source_name: string
}

export interface BenchAfk {
  afk_start: string
  afk_end: string
}

export interface BenchInput {
  id: string
  timestamp_ms: number
  lc: number
  rc: number
  mc: number
  kp: number
  mm: number
  scroll: number
}

export interface BenchDay {
  events: BenchEvent[]
  afk: BenchAfk[]
  input: BenchInput[]
}

const MIN = 60_000
const HOUR = 3_600_000
const DAY = 86_400_000

const LANGUAGES = [
  'TypeScript',
  'Rust',
  'Go',
  'Python',
  'SQL',
  'Markdown',
  'YAML',
  'JSON',
  'Shell',
  'CSS',
  'HTML',
  'C',
  'Kotlin',
  'Swift',
  'Java',
]
const CATEGORIES = [
  'Coding',
  'Debugging',
  'Code Reviewing',
  'Writing Docs',
  'Browsing',
  'Meeting',
  'Communicating',
  'Other',
]
const EDITORS = [
  { app: 'Code', source: 'skopio-vscode' },
  { app: 'Zed', source: 'skopio-zed' },
  { app: 'IntelliJ IDEA', source: 'skopio-jetbrains' },
]
const WINDOW_APPS = Array.from({ length: 57 }, (_, i) => `App ${String(i + 1).padStart(2, '0')}`)
const ALL_APPS = ['Code', 'Zed', 'IntelliJ IDEA', 'Firefox', ...WINDOW_APPS.slice(0, 56)] // 60 apps
const DOMAINS = Array.from({ length: 120 }, (_, i) => `site${i}.example`)
const PROJECTS = Array.from({ length: 40 }, (_, i) => ({
  name: `project-${String(i + 1).padStart(2, '0')}`,
  languages: [
    LANGUAGES[i % 15],
    LANGUAGES[(i * 7 + 3) % 15],
    LANGUAGES[(i * 11 + 5) % 15],
  ] as string[],
  files: 100,
}))

const iso = (ms: number) => new Date(ms).toISOString()

/** The activity of day `index` (0 = first day), starting at `dayStartMs` (UTC midnight). */
export function generateDay(index: number, dayStartMs: number, seed = 42): BenchDay {
  const rand = prng(seed * 1_000_003 + index)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T
  const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo))
  const events: BenchEvent[] = []
  const weekend = new Date(dayStartMs).getUTCDay() % 6 === 0
  const workStart = dayStartMs + 7 * HOUR + between(0, 90) * MIN
  const workEnd = workStart + (weekend ? between(2, 4) : between(9, 11)) * HOUR

  // The day's projects, apps (each app keeps its category) and sites.
  const today = Array.from({ length: 3 }, () => pick(PROJECTS))
  const windowApps = Array.from({ length: 12 }, () => pick(WINDOW_APPS))
  const categoryOf = (app: string) =>
    app === 'Firefox' ? 'Browsing' : (CATEGORIES[app.charCodeAt(app.length - 1) % 8] as string)
  const sites = Array.from({ length: 25 }, () => pick(DOMAINS))

  // Window watcher: contiguous focus events across the whole working day.
  for (let t = workStart; t < workEnd;) {
    const length = between(5, 240) * 1000
    const app = rand() < 0.3 ? 'Firefox' : pick(windowApps)
    events.push({
      timestamp: iso(t),
      end_timestamp: iso(Math.min(workEnd, t + length)),
      category: categoryOf(app),
      app_name: app,
      entity_name: `${app} — window ${between(0, 40)}`,
      entity_type: 'App',
      project_name: app.toLowerCase(),
      language_name: null,
      branch_name: null,
      source_name: 'daybook-window',
    })
    t += length
  }

  // Editor sessions: about 3,400 events (1,400 on a weekend) of 10 s to 3 minutes in runs on one
  // project.
  let coded = 0
  while (coded < (weekend ? 1_400 : 3_400)) {
    const project = pick(today)
    const editor = pick(EDITORS)
    const branch = rand() < 0.7 ? 'main' : `feature-${between(1, 30)}`
    let t = workStart + Math.floor(rand() * (workEnd - workStart - HOUR))
    const n = between(20, 120)
    for (let i = 0; i < n; i++) {
      const length = between(10, 180) * 1000
      const language = pick(project.languages)
      events.push({
        timestamp: iso(t),
        end_timestamp: iso(t + length),
        category: rand() < 0.8 ? 'Coding' : pick(['Debugging', 'Code Reviewing', 'Writing Docs']),
        app_name: editor.app,
        entity_name: `src/${project.name}/file-${between(0, project.files)}.${language.toLowerCase()}`,
        entity_type: 'File',
        project_name: project.name,
        language_name: language,
        branch_name: branch,
        source_name: editor.source,
      })
      t += length + between(0, 20) * 1000
    }
    coded += n
  }

  // Browser: tab events in browsing stretches, overlapping window and sometimes editor time.
  let browsed = 0
  while (browsed < (weekend ? 1_200 : 3_000)) {
    let t = workStart + Math.floor(rand() * (workEnd - workStart - HOUR))
    const n = between(15, 80)
    // A browsing stretch stays on a few sites.
    const stretch = Array.from({ length: 4 }, () => pick(sites))
    for (let i = 0; i < n; i++) {
      const length = between(5, 150) * 1000
      const domain = pick(stretch)
      events.push({
        timestamp: iso(t),
        end_timestamp: iso(t + length),
        category: 'Browsing',
        app_name: 'Firefox',
        entity_name: `/${domain}/page-${between(0, 60)}`,
        entity_type: 'Url',
        project_name: domain,
        language_name: null,
        branch_name: null,
        source_name: 'daybook-browser',
      })
      t += length
    }
    browsed += n
  }

  return { events, ...awayAndInput(rand, workStart, workEnd, `bench-${index}`) }
}

/**
 * About ten AFK periods of 3 to 45 minutes within the working day, and 5-minute input buckets
 * (ids `<prefix>-<ms>`) while someone is there.
 */
function awayAndInput(
  rand: () => number,
  workStart: number,
  workEnd: number,
  prefix: string,
): { afk: BenchAfk[]; input: BenchInput[] } {
  const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo))
  const afk: BenchAfk[] = []
  const input: BenchInput[] = []
  const away: [number, number][] = []
  for (let i = 0; i < 10; i++) {
    const start = workStart + Math.floor(rand() * (workEnd - workStart))
    const end = start + between(3, 45) * MIN
    away.push([start, end])
    afk.push({ afk_start: iso(start), afk_end: iso(end) })
  }
  for (let b = Math.ceil(workStart / 300_000) * 300_000; b < workEnd; b += 300_000) {
    if (away.some(([s, e]) => b >= s && b < e)) continue
    input.push({
      id: `${prefix}-${b}`,
      timestamp_ms: b,
      lc: between(0, 60),
      rc: between(0, 5),
      mc: between(0, 2),
      kp: between(0, 900),
      mm: between(0, 3000),
      scroll: between(0, 200),
    })
  }
  return { afk, input }
}

/**
 * The second profile (`--profile titles`), shaped like a real person's year that the first profile
 * flattered: about 2,500 events on a working day (working on about three weekdays in five: leave,
 * travel, days on another machine), 373,000 in a year, from the same three overlapping sources with
 * AFK, in Europe/Berlin working hours; about 30 projects (12 coded ones, and the 18 non-editor apps
 * the window and browser events carry as their project), 20 apps, 8 languages, and a long tail of
 * distinct names: window titles and pages that are mostly new (a document, a mail, a ticket), and
 * 800 files per coded project. Its rollup cells compress badly: that is the point of it.
 */
export function generateTitlesDay(
  index: number,
  dayStartMs: number,
  seed = 42,
  working = false,
): BenchDay {
  const rand = prng(seed * 7_000_003 + index)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T
  const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo))
  const events: BenchEvent[] = []
  const weekday = new Date(dayStartMs).getUTCDay() % 6 !== 0
  if (!working && (!weekday || rand() >= 0.575)) return { events, afk: [], input: [] }
  // 08:00–09:30 Berlin (CET; an hour earlier in UTC in summer is close enough for a profile).
  const workStart = dayStartMs + 7 * HOUR + between(0, 90) * MIN
  const workEnd = workStart + between(8, 11) * HOUR
  const span = workEnd - workStart
  const today = Array.from({ length: 4 }, () => pick(TITLE_PROJECTS))
  const title = (app: string) =>
    // Two in five titles come back (an inbox, a board); the rest name something new.
    rand() < 0.4
      ? `${app} — ${pick(RECURRING_TITLES)}`
      : `${app} — ${pick(TITLE_WORDS)} ${index}-${between(0, 1e6)}`

  // Window watcher: focus events across the working day (about 900).
  for (let t = workStart; t < workEnd;) {
    const length = between(5, 75) * 1000
    const app = pick(TITLE_APPS)
    const editor = TITLE_EDITORS.find((e) => e.app === app)
    const project = editor ? pick(today).name : app.toLowerCase()
    events.push({
      timestamp: iso(t),
      end_timestamp: iso(Math.min(workEnd, t + length)),
      category: editor ? 'Coding' : (TITLE_CATEGORY.get(app) as string),
      app_name: app,
      entity_name: title(app),
      entity_type: 'App',
      project_name: project,
      language_name: null,
      branch_name: null,
      source_name: 'daybook-window',
    })
    t += length
  }

  // Editor sessions: about 1,000 events of 5 s to 90 s on a file of one of the day's projects.
  let coded = 0
  while (coded < 1_000) {
    const project = pick(today)
    const editor = pick(TITLE_EDITORS)
    const branch = rand() < 0.6 ? 'main' : `feature-${index}-${between(1, 5)}`
    let t = workStart + Math.floor(rand() * (span - HOUR))
    const n = between(20, 80)
    for (let i = 0; i < n; i++) {
      const length = between(5, 90) * 1000
      const language = pick(project.languages)
      events.push({
        timestamp: iso(t),
        end_timestamp: iso(t + length),
        category: rand() < 0.75 ? 'Coding' : pick(['Debugging', 'Code Reviewing', 'Writing Docs']),
        app_name: editor.app,
        entity_name: `src/${project.name}/${pick(TITLE_WORDS)}/file-${between(0, 800)}.${language.toLowerCase()}`,
        entity_type: 'File',
        project_name: project.name,
        language_name: language,
        branch_name: branch,
        source_name: editor.source,
      })
      t += length + between(0, 15) * 1000
    }
    coded += n
  }

  // Browser: about 600 page events, overlapping the window's and sometimes the editor's time.
  let browsed = 0
  while (browsed < 600) {
    let t = workStart + Math.floor(rand() * (span - HOUR))
    const n = between(10, 50)
    for (let i = 0; i < n; i++) {
      const length = between(5, 60) * 1000
      events.push({
        timestamp: iso(t),
        end_timestamp: iso(t + length),
        category: 'Browsing',
        app_name: 'Firefox',
        entity_name: `https://site${between(0, 300)}.example/${pick(TITLE_WORDS)}/${between(0, 1e6)}`,
        entity_type: 'Url',
        project_name: 'firefox',
        language_name: null,
        branch_name: null,
        source_name: 'daybook-browser',
      })
      t += length
    }
    browsed += n
  }

  return { events, ...awayAndInput(rand, workStart, workEnd, `titles-${index}`) }
}

const TITLE_LANGUAGES = ['TypeScript', 'Python', 'Go', 'SQL', 'Markdown', 'YAML', 'Shell', 'CSS']
const TITLE_EDITORS = [
  { app: 'Code', source: 'skopio-vscode' },
  { app: 'IntelliJ IDEA', source: 'skopio-jetbrains' },
]
// 20 apps: two editors, the browser, and 17 others (18 non-editor apps in all).
const TITLE_APPS = [
  'Code',
  'IntelliJ IDEA',
  'Firefox',
  'Slack',
  'Thunderbird',
  'Terminal',
  'Zoom',
  'LibreOffice Writer',
  'LibreOffice Calc',
  'Evince',
  'Files',
  'Obsidian',
  'Spotify',
  'GIMP',
  'Inkscape',
  'Signal',
  'KeePassXC',
  'Calendar',
  'Postman',
  'DBeaver',
]
const TITLE_CATEGORY = new Map(TITLE_APPS.map((app, i) => [app, CATEGORIES[i % 8] as string]))
const TITLE_PROJECTS = Array.from({ length: 12 }, (_, i) => ({
  name: `project-${String(i + 1).padStart(2, '0')}`,
  languages: [
    TITLE_LANGUAGES[i % 8],
    TITLE_LANGUAGES[(i * 3 + 1) % 8],
    TITLE_LANGUAGES[(i * 5 + 2) % 8],
  ] as string[],
}))
const TITLE_WORDS = Array.from({ length: 400 }, (_, i) => `w${i.toString(36)}`)
const RECURRING_TITLES = Array.from({ length: 300 }, (_, i) => `board ${i}`)

/** A heartbeat as WakaTime's CLI sends it in a bulk post (the fields the benches use). */
export interface BenchHeartbeat {
  entity: string
  type: 'file'
  category: 'coding'
  project: string
  branch: string
  language: string
  time: number
  is_write: boolean
}

/**
 * The `count` heartbeats of one editor on device `device` of user `user`, oldest first, ending
 * before `nowMs`: a heartbeat every 20 s to 2 min, on one project's files for a while, then
 * another's. Seeded by user and device, so the raw floor regenerates the same rows.
 */
export function deviceHeartbeats(
  user: number,
  device: number,
  count: number,
  nowMs: number,
): BenchHeartbeat[] {
  const random = prng(1_000_003 * (user + 1) + 7919 * (device + 1))
  const steps = Array.from({ length: count }, () => 20_000 + Math.floor(random() * 100_000))
  let t = nowMs - 60_000 - steps.reduce((a, b) => a + b, 0)
  let project = PROJECTS[0] as (typeof PROJECTS)[number]
  return steps.map((step, i) => {
    if (i % 40 === 0) project = PROJECTS[Math.floor(random() * PROJECTS.length)] ?? project
    t += step
    const file = Math.floor(random() * project.files)
    const language = project.languages[file % project.languages.length] ?? 'Text'
    return {
      entity: `/home/dev/${project.name}/src/file-${String(file)}.${language.toLowerCase()}`,
      type: 'file',
      category: 'coding',
      project: project.name,
      branch: random() < 0.8 ? 'main' : `feature-${String(file % 7)}`,
      language,
      time: t / 1000,
      is_write: random() < 0.2,
    }
  })
}

/** The data profiles `--profile` chooses from: a day's activity by index and UTC midnight. */
export const PROFILES = {
  heavy: generateDay,
  titles: generateTitlesDay,
} as const satisfies Record<string, (index: number, dayStartMs: number) => BenchDay>
export type Profile = keyof typeof PROFILES

/** The first day of a year of `days` days ending today (UTC), so nothing lies in the future. */
export function benchStart(days: number, nowMs = Date.now()): number {
  return Math.floor(nowMs / DAY) * DAY - (days - 1) * DAY
}

/**
 * Today's activity so far: a working day that began ten hours ago (so "today" has data at any hour
 * the bench runs), cut at now.
 */
export function generateToday(nowMs: number, profile: Profile = 'heavy'): BenchDay {
  const dayStartMs = nowMs - 17 * HOUR
  return untilNow(
    profile === 'heavy'
      ? generateDay(100_000, dayStartMs)
      : generateTitlesDay(100_000, dayStartMs, 42, true),
    nowMs,
  )
}

/** Drops what lies after `nowMs` (the last day is today). */
export function untilNow(day: BenchDay, nowMs: number): BenchDay {
  const before = (iso: string) => Date.parse(iso) < nowMs - MIN
  return {
    events: day.events.filter((e) => before(e.end_timestamp)),
    afk: day.afk.filter((a) => before(a.afk_end)),
    input: day.input.filter((i) => i.timestamp_ms + 300_000 < nowMs),
  }
}

export { ALL_APPS, CATEGORIES, LANGUAGES }
