/**
 * Privacy filters, applied in the watchers before anything leaves the machine's user session,
 * one set of rules for the window watcher and the screenshots: windows excluded by app, title or
 * URL are not recorded at all; titles matching a redaction rule, and private or incognito browser
 * windows (by default), are sent with the title replaced. Screenshots are stricter: a window the
 * window watcher would redact, or any private window, is not captured.
 */
import type { PrivacyRules } from '../../config/watch-config.ts'
import type { FocusedWindow } from './tracker.ts'

/** What private and incognito windows say in their titles, in the common browsers. */
const PRIVATE_TITLE = /(\bprivate browsing\b|\bincognito\b|\binprivate\b|\(private\)$)/i

const REDACTED = '[redacted]'

/** Apps whose windows show web pages: their title's URL (if any) is the page's. */
export const BROWSERS =
  /^(firefox|firefox-esr|chromium|chromium-browser|google-chrome|brave-browser|microsoft-edge|vivaldi|opera|librewolf|epiphany|safari)$/i

export function defaultPrivacy(): PrivacyRules {
  return {
    excludeApps: [],
    excludeTitles: [],
    excludeUrls: [],
    redactTitles: [],
    redactPrivate: true,
  }
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

/** The page a browser window shows, when its title carries the URL. */
export function windowUrl(w: FocusedWindow): URL | undefined {
  return BROWSERS.test(w.app) ? urlIn(w.title) : undefined
}

/** Whether a screenshot of the window may be taken: not excluded, redacted or private. */
export function mayCapture(rules: PrivacyRules, w: FocusedWindow): boolean {
  return applyPrivacy(rules, w) === w && !PRIVATE_TITLE.test(w.title)
}

/** The window as it may be sent, or undefined when it must not be recorded at all. */
export function applyPrivacy(rules: PrivacyRules, w: FocusedWindow): FocusedWindow | undefined {
  if (rules.excludeApps.some((r) => r.test(w.app))) return undefined
  if (rules.excludeTitles.some((r) => r.test(w.title))) return undefined
  if (rules.excludeUrls.length > 0) {
    const url = windowUrl(w)
    if (url && rules.excludeUrls.some((r) => r.test(url.href))) return undefined
  }
  const redact =
    rules.redactTitles.some((r) => r.test(w.title)) ||
    (rules.redactPrivate && PRIVATE_TITLE.test(w.title))
  return redact ? { ...w, title: REDACTED } : w
}
