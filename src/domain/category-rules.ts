/**
 * Category rules: what the watchers cannot know (that `Code` is coding, `zoom` a meeting) said
 * once, in settings, as an ordered list of regular expressions on the app, the window title or
 * the URL. They decide the category an event counts under, for events that arrive with a generic
 * category (`Other`, `Browsing`: the window watcher's and the browser's); a category a plugin
 * names itself is kept.
 *
 * This module is the one place that decides an event's effective category. Events are stored as
 * they were sent; every reading path gives them their effective category through `categorizer`:
 * the store's rollups and timelines (by id, `store/sqlite/rows.ts`), the event listing and its
 * `categories` filter, search hits and the timelines of the WakaTime durations (by name,
 * `services/events.ts`, `domain/timeline.ts`). So a change of rules recounts history.
 */
import { UnprocessableError } from './errors.ts'

export interface CategoryRule {
  /** What the pattern is tested against: the app name, a window title, or a URL. */
  match: 'app' | 'title' | 'url'
  /** A regular expression, case-insensitive. */
  pattern: string
  category: string
}

/** Categories the rules may replace: the ones watchers send when they know no better. */
export const GENERIC_CATEGORIES: ReadonlySet<string> = new Set(['Other', 'Browsing'])

export const DEFAULT_CATEGORY_RULES: readonly CategoryRule[] = [
  {
    match: 'app',
    pattern:
      '^(code|code-oss|vscodium|cursor|zed|sublime_text|emacs|gvim|neovide|jetbrains-.*|idea|pycharm|webstorm|goland|clion|rider|rustrover|android-studio|xcode)$',
    category: 'Coding',
  },
  {
    match: 'app',
    pattern:
      '^(gnome-terminal.*|konsole|alacritty|kitty|wezterm|xterm|urxvt|tilix|terminator|foot|iterm2|terminal|windowsterminal)$',
    category: 'Coding',
  },
  {
    match: 'app',
    pattern: '^(zoom|teams|microsoft teams|skype|webex|jitsi meet)$',
    category: 'Meeting',
  },
  {
    match: 'url',
    pattern: '^(meet\\.google\\.com|[\\w.]*zoom\\.us|teams\\.microsoft\\.com|meet\\.jit\\.si)/',
    category: 'Meeting',
  },
  {
    match: 'app',
    pattern: '^(slack|discord|signal|telegram(desktop)?|element|thunderbird|mattermost|evolution)$',
    category: 'Communicating',
  },
  {
    match: 'url',
    pattern:
      '^(mail\\.google\\.com|outlook\\.(live|office)\\.com|app\\.slack\\.com|discord\\.com)/',
    category: 'Communicating',
  },
]

/** Checks a list of rules; throws `UnprocessableError` naming the first bad one. */
export function validateCategoryRules(rules: readonly CategoryRule[]): void {
  rules.forEach((rule, i) => {
    try {
      new RegExp(rule.pattern, 'i')
    } catch (err) {
      throw new UnprocessableError(
        'invalid_category_rule',
        `categoryRules[${i}].pattern is not a valid regular expression: ${(err as Error).message}`,
        `categoryRules/${i}/pattern`,
      )
    }
    if (rule.category.trim() === '') {
      throw new UnprocessableError(
        'invalid_category_rule',
        `categoryRules[${i}].category must not be empty`,
        `categoryRules/${i}/category`,
      )
    }
  })
}

/** What an event offers the rules. */
export interface Categorizable {
  category: string
  app: string
  entity: string
  /** `Url` for a page, `App` for a window title, anything else for files and the like. */
  entityType: string | null
}

/**
 * What a rule on `title` or `url` reads of an event: its entity when that is a window title
 * (`App`), or a page (`Url`, without its scheme: `github.com/…`); undefined otherwise.
 */
export function entitySubject(
  e: Pick<Categorizable, 'entity' | 'entityType'>,
  match: 'title' | 'url',
): string | undefined {
  if (match === 'url') {
    return e.entityType === 'Url' ? e.entity.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '') : undefined
  }
  return e.entityType === 'App' ? e.entity : undefined
}

/**
 * The category an event counts under: the first rule that matches, when its own category is a
 * generic one; else its own. A URL is matched without its scheme (`github.com/…`).
 */
export function categorizer(rules: readonly CategoryRule[]): (e: Categorizable) => string {
  const compiled = rules.map((r) => ({ ...r, re: new RegExp(r.pattern, 'i') }))
  return (e) => {
    if (!GENERIC_CATEGORIES.has(e.category)) return e.category
    const url = entitySubject(e, 'url')
    const title = entitySubject(e, 'title')
    for (const r of compiled) {
      const subject = r.match === 'app' ? e.app : r.match === 'url' ? url : title
      if (subject !== undefined && r.re.test(subject)) return r.category
    }
    return e.category
  }
}

/**
 * An event as it counts: with the category `categorizer` gives it (the very object when that is
 * its own category).
 */
export function withRuleCategory(
  rules: readonly CategoryRule[],
): <E extends Categorizable>(event: E) => E {
  const category = categorizer(rules)
  return (event) => {
    const effective = category(event)
    return effective === event.category ? event : { ...event, category: effective }
  }
}

/**
 * The stored categories whose events may count under one of `wanted`: those categories
 * themselves, and the generic ones when a rule names one of `wanted`. A store can select these
 * (by index); which of their events count under `wanted` is then `categorizer`'s to say.
 */
export function storedCategoriesFor(
  wanted: readonly string[],
  rules: readonly CategoryRule[],
): string[] {
  const out = new Set(wanted)
  if (rules.some((r) => wanted.includes(r.category))) {
    for (const generic of GENERIC_CATEGORIES) out.add(generic)
  }
  return [...out]
}
