/**
 * ActivityWatch events into Daybook's one timeline, by bucket type:
 * - `currentwindow` (aw-watcher-window) → window events: app, title as an `App` entity;
 * - `afkstatus` (aw-watcher-afk) with `status: "afk"` → AFK periods of the bucket's host;
 * - `web.tab.current` (aw-watcher-web) → browser events: project = domain, entity = URL (query and
 *   fragment left out: they carry session tokens and search terms), incognito tabs redacted;
 * - `app.editor.activity` (aw-watcher-vscode and other editors) → editor events: project, file,
 *   language, branch.
 * Each bucket's `hostname` is a Daybook device. Other bucket types stay ActivityWatch-only.
 *
 * The mapped event's start and names come only from the AW event's start and data, so a heartbeat
 * that extends an AW event maps to the same Daybook event with a later end, which extends it.
 */
import type { NewActivityEvent, NewAfkPeriod } from '../events.ts'
import type { JsonObject } from './json.ts'
import type { AwEvent } from './model.ts'

/** The source names mapped events carry (ranked in the default `sourcePriority`). */
const AW_SOURCES = {
  window: 'aw-watcher-window',
  web: 'aw-watcher-web',
  editor: 'aw-watcher-editor',
  afk: 'aw-watcher-afk',
} as const

/** What shows instead of an incognito tab's title, URL and domain. */
export const INCOGNITO = '(incognito)'

/** The bucket fields the mapping reads. */
export interface MappedBucket {
  id: string
  type: string
  client: string
  hostname: string
}

export type Mapped =
  { kind: 'event'; event: NewActivityEvent } | { kind: 'afk'; period: NewAfkPeriod } | undefined

const NS_PER_MS = 1_000_000n

function text(data: JsonObject, key: string): string | undefined {
  const v = data[key]
  return typeof v === 'string' && v !== '' ? v : undefined
}

/** `aw-watcher-web-firefox_host` → `Firefox`; `Browser` when the id names none. */
function browserName(bucketId: string): string {
  const m = /^aw-watcher-web-([^_]+)/.exec(bucketId)
  const name = m?.[1]
  return name ? name.charAt(0).toUpperCase() + name.slice(1) : 'Browser'
}

/** `aw-watcher-vscode` → `vscode`: the editor, from the watcher's client name. */
function editorName(client: string): string {
  return client.replace(/^aw-watcher-/, '') || client
}

/** The URL without query and fragment, and its domain without `www.`; undefined when unparsable. */
function splitUrl(url: string): { entity: string; domain: string } | undefined {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return undefined
  }
  const domain = u.hostname === '' ? u.protocol.replace(/:$/, '') : u.hostname.replace(/^www\./, '')
  const base = u.origin === 'null' ? `${u.protocol}${u.pathname}` : `${u.origin}${u.pathname}`
  return { entity: base, domain }
}

function lastSegment(path: string): string {
  const parts = path.split(/[\\/]+/).filter((p) => p !== '')
  return parts[parts.length - 1] ?? path
}

/** The Daybook view of one AW event of `bucket`, or undefined when it has none. */
export function mapEvent(bucket: MappedBucket, e: AwEvent): Mapped {
  // Epoch ms: nanoseconds truncated toward the past (floor for the dates Daybook accepts).
  const startMs = Number(e.timestamp / NS_PER_MS)
  const endMs = Number((e.timestamp + e.duration) / NS_PER_MS)
  const base = {
    device: bucket.hostname,
    startMs,
    endMs,
    durationSec: null,
    branch: null,
    language: null,
    projectPath: null,
  }
  const d = e.data
  switch (bucket.type) {
    case 'afkstatus':
      if (d.status !== 'afk') return undefined
      return {
        kind: 'afk',
        period: {
          device: bucket.hostname,
          startMs,
          endMs,
          durationSec: null,
          source: AW_SOURCES.afk,
        },
      }
    case 'currentwindow': {
      const app = text(d, 'app') ?? 'unknown'
      const title = d.incognito === true ? INCOGNITO : (text(d, 'title') ?? app)
      return {
        kind: 'event',
        event: {
          ...base,
          category: 'Other',
          app,
          entity: title,
          entityType: 'App',
          project: app.toLowerCase(),
          source: AW_SOURCES.window,
        },
      }
    }
    case 'web.tab.current': {
      const url = text(d, 'url')
      const parts = url === undefined ? undefined : splitUrl(url)
      const redact = d.incognito === true
      const domain = redact ? INCOGNITO : (parts?.domain ?? 'unknown')
      return {
        kind: 'event',
        event: {
          ...base,
          category: 'Browsing',
          app: browserName(bucket.id),
          entity: redact ? INCOGNITO : (parts?.entity ?? url ?? 'unknown'),
          entityType: 'Url',
          project: domain,
          source: AW_SOURCES.web,
        },
      }
    }
    case 'app.editor.activity': {
      const file = text(d, 'file')
      const projectPath = text(d, 'project') ?? null
      return {
        kind: 'event',
        event: {
          ...base,
          category: 'Coding',
          app: editorName(bucket.client),
          entity: file ?? 'unknown',
          entityType: 'File',
          project: projectPath === null ? 'unknown' : lastSegment(projectPath),
          projectPath,
          branch: text(d, 'branch') ?? null,
          language: text(d, 'language') ?? null,
          source: AW_SOURCES.editor,
        },
      }
    }
    default:
      return undefined
  }
}
