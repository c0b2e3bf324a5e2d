/**
 * A rule's `match`, compiled: every field it names must hold; a field is a regular expression
 * (case-insensitive, anywhere in the value) or keywords of which one must occur (any case).
 * Events are tested by what they count as: the category their rules give them, the title and
 * URL as the category rules read them (`entitySubject`).
 */
import { entitySubject } from '../category-rules.ts'
import type { ActivityEvent } from '../events.ts'
import type { Match, MatchField, MatchValue } from './rules.ts'

/** A test of one value. */
export type ValueTest = (value: string | null | undefined) => boolean

/** Compiles one field's condition. A missing value (no URL, no language) never matches. */
export function valueTest(value: MatchValue): ValueTest {
  if (typeof value === 'string') {
    const re = new RegExp(value, 'i')
    return (v) => v !== null && v !== undefined && re.test(v)
  }
  const words = value.map((k) => k.toLowerCase())
  return (v) => {
    if (v === null || v === undefined) return false
    const lower = v.toLowerCase()
    return words.some((w) => lower.includes(w))
  }
}

/** The value of a match field of an event (`text` is no event field). */
export function eventValue(e: ActivityEvent, field: MatchField): string | null | undefined {
  switch (field) {
    case 'title':
    case 'url':
      return entitySubject(e, field)
    case 'text':
      return undefined
    default:
      return e[field]
  }
}

/** Compiles a match over a record's fields; an empty match holds for everything. */
export function compileMatch<T>(
  match: Match,
  value: (item: T, field: MatchField) => string | null | undefined,
): (item: T) => boolean {
  const tests = (Object.entries(match) as [MatchField, MatchValue | undefined][])
    .filter((entry): entry is [MatchField, MatchValue] => entry[1] !== undefined)
    .map(([field, v]) => [field, valueTest(v)] as const)
  if (tests.length === 0) return () => true
  return (item) => tests.every(([field, test]) => test(value(item, field)))
}

/** Compiles a match over events. */
export function eventMatcher(match: Match): (e: ActivityEvent) => boolean {
  return compileMatch(match, eventValue)
}
