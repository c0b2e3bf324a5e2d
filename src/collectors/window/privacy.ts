/**
 * Privacy filters, applied in the watcher before anything leaves the machine's user session:
 * windows excluded by app or title are not sent at all; titles matching a redaction rule, and
 * private or incognito browser windows (by default), are sent with the title replaced.
 */
import type { PrivacyRules } from '../../config/watch-config.ts'
import type { FocusedWindow } from './tracker.ts'

/** What private and incognito windows say in their titles, in the common browsers. */
const PRIVATE_TITLE = /(\bprivate browsing\b|\bincognito\b|\binprivate\b|\(private\)$)/i

const REDACTED = '[redacted]'

export function defaultPrivacy(): PrivacyRules {
  return { excludeApps: [], excludeTitles: [], redactTitles: [], redactPrivate: true }
}

/** The window as it may be sent, or undefined when it must not be recorded at all. */
export function applyPrivacy(rules: PrivacyRules, w: FocusedWindow): FocusedWindow | undefined {
  if (rules.excludeApps.some((r) => r.test(w.app))) return undefined
  if (rules.excludeTitles.some((r) => r.test(w.title))) return undefined
  const redact =
    rules.redactTitles.some((r) => r.test(w.title)) ||
    (rules.redactPrivate && PRIVATE_TITLE.test(w.title))
  return redact ? { ...w, title: REDACTED } : w
}
