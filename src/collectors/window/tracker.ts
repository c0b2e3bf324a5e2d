/**
 * The window watcher's logic, free of X11 and timers so it runs on a fake clock in tests: what has
 * focus, turned into events that run while the app and title stay the same, are extended as they
 * go (the daemon keeps the later end of a re-sent event), and end on a change, on AFK, on a lock
 * or suspend, and on shutdown.
 */
import { spanSeconds } from '../../domain/events.ts'
import type { PrivacyRules } from '../../config/watch-config.ts'
import { applyPrivacy } from './privacy.ts'

/** What has focus, as the platform reports it. */
export interface FocusedWindow {
  /** The program: WM_CLASS's class, or the executable's name. */
  app: string
  title: string
  /** The executable's path, when the platform tells it. */
  executable?: string | undefined
}

/** An event as the daemon's `POST /v1/events` takes it. */
export interface WindowEvent {
  timestamp: string
  end_timestamp: string
  duration: number
  category: string
  app_name: string
  entity_name: string
  entity_type: 'App' | 'Url'
  project_name: string
  project_path: string | null
  source_name: string
}

const WINDOW_SOURCE = 'daybook-window'

/** Apps whose windows show web pages: their title's URL (if any) becomes the entity. */
const BROWSERS =
  /^(firefox|firefox-esr|chromium|chromium-browser|google-chrome|brave-browser|microsoft-edge|vivaldi|opera|librewolf|epiphany|safari)$/i

interface Current {
  window: FocusedWindow
  startMs: number
  endMs: number
}

export class WindowTracker {
  #current: Current | undefined
  readonly #privacy: PrivacyRules

  constructor(privacy: PrivacyRules) {
    this.#privacy = privacy
  }

  /**
   * A sample of what has focus at `nowMs` (null: nothing, or the screen is locked). Returns the
   * events to send: the current one extended to now, and the previous one when it just ended.
   */
  sample(focused: FocusedWindow | null, nowMs: number, lastInputMs = nowMs): WindowEvent[] {
    const out: WindowEvent[] = []
    const current = this.#current
    if (current && focused && same(current.window, focused)) {
      // Extended only as far as the last sign of presence: the daemon keeps the later end of a
      // re-sent event, so an end sent past it could not be taken back when the person turns out
      // to have left at their last input.
      current.endMs = Math.max(current.endMs, Math.min(nowMs, lastInputMs))
      const e = this.#toEvent(current)
      return e ? [e] : []
    }
    if (current) {
      current.endMs = nowMs
      const e = this.#toEvent(current)
      if (e) out.push(e)
      this.#current = undefined
    }
    if (focused) {
      this.#current = { window: focused, startMs: nowMs, endMs: nowMs }
    }
    return out
  }

  /** The person went away at `sinceMs`: the current event ends there. */
  away(sinceMs: number): WindowEvent[] {
    const current = this.#current
    this.#current = undefined
    if (!current) return []
    current.endMs = Math.max(current.startMs, Math.min(current.endMs, sinceMs))
    const e = this.#toEvent(current)
    return e ? [e] : []
  }

  /** Shutdown, lock or suspend at `nowMs`: the current event ends. */
  stop(nowMs: number): WindowEvent[] {
    return this.sample(null, nowMs)
  }

  #toEvent(c: Current): WindowEvent | undefined {
    // Under a second is noise (focus passing through a window); it is not sent.
    if (c.endMs - c.startMs < 1000) return undefined
    const shown = applyPrivacy(this.#privacy, c.window)
    if (!shown) return undefined
    const url = BROWSERS.test(shown.app) ? urlIn(shown.title) : undefined
    const project = url ? url.host : shown.app.toLowerCase()
    return {
      timestamp: new Date(c.startMs).toISOString(),
      end_timestamp: new Date(c.endMs).toISOString(),
      duration: spanSeconds(c.startMs, c.endMs),
      category: url || BROWSERS.test(shown.app) ? 'Browsing' : 'Other',
      app_name: shown.app,
      entity_name: url ? `${url.host}${url.pathname}` : shown.title || shown.app,
      entity_type: url ? 'Url' : 'App',
      project_name: project,
      project_path: url ? null : (shown.executable ?? null),
      source_name: WINDOW_SOURCE,
    }
  }
}

function same(a: FocusedWindow, b: FocusedWindow): boolean {
  return a.app === b.app && a.title === b.title
}

/** A URL a browser title carries (extensions and some browsers put it there), else undefined. */
export function urlIn(title: string): URL | undefined {
  const m = /\bhttps?:\/\/[^\s"'<>]+/i.exec(title)
  if (!m) return undefined
  try {
    return new URL(m[0])
  } catch {
    return undefined
  }
}
