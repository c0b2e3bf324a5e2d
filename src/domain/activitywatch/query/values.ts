/**
 * The query language's values, as aw-server-rust has them (none, booleans, numbers, strings,
 * events, lists, dicts and functions): how a function's arguments are read as the types it takes,
 * and when two values are equal.
 */
import { type JsonObject, type JsonValue, compareCodePoints } from '../json.ts'
import type { AwEvent } from '../model.ts'
import type * as t from '../transforms.ts'
import { QueryError } from './parse.ts'

export type Value =
  | null
  | boolean
  | number
  | string
  | { kind: 'event'; event: AwEvent }
  | { kind: 'list'; items: Value[] }
  | { kind: 'dict'; entries: Map<string, Value> }
  | { kind: 'function'; name: string }

export const list = (items: Value[]): Value => ({ kind: 'list', items })
export const eventList = (events: readonly AwEvent[]): Value =>
  list(events.map((event) => ({ kind: 'event', event })))

export function describe(v: Value): string {
  if (v === null) return 'None'
  if (typeof v === 'boolean') return `Bool(${v})`
  if (typeof v === 'number') return `Number(${v})`
  if (typeof v === 'string') return `String(${v})`
  switch (v.kind) {
    case 'event':
      return 'Event'
    case 'list':
      return `List(${v.items.length} items)`
    case 'dict':
      return 'Dict'
    case 'function':
      return `Function(${v.name})`
  }
}

export function badParams(detail: string): QueryError {
  return new QueryError('InvalidFunctionParameters', detail)
}

export function argCount(args: Value[], n: number): void {
  if (args.length !== n) throw badParams(`Expected ${n} parameters in function, got ${args.length}`)
}

export function asList(v: Value | undefined): Value[] {
  if (v !== undefined && v !== null && typeof v === 'object' && v.kind === 'list') return v.items
  throw badParams(`Expected function parameter of type List, got ${describe(v ?? null)}`)
}

export function asEvents(v: Value | undefined): AwEvent[] {
  return asList(v).map((item) => {
    if (item !== null && typeof item === 'object' && item.kind === 'event') return item.event
    throw badParams(
      `Expected function parameter of type List of Events, list contains ${describe(item)}`,
    )
  })
}

export function asString(v: Value | undefined): string {
  if (typeof v === 'string') return v
  throw badParams(`Expected function parameter of type String, got ${describe(v ?? null)}`)
}

export function asStrings(v: Value | undefined): string[] {
  return asList(v).map(asString)
}

export function asNumber(v: Value | undefined): number {
  if (typeof v === 'number') return v
  throw badParams(`Expected function parameter of type Number, got ${describe(v ?? null)}`)
}

/** A query value as JSON data (for filter values): events and dicts are refused, as in Rust. */
export function asJson(v: Value): JsonValue {
  if (v === null || typeof v !== 'object') return v
  if (v.kind === 'list') return v.items.map(asJson)
  throw badParams(
    `Query2 support for parsing values is limited, does not support parsing ${describe(v)}`,
  )
}

/**
 * A regex as written for Rust's `fancy_regex`, compiled for JavaScript: a leading `(?i)` becomes
 * the `i` flag and `(?P<name>` a named group; Unicode mode is used where the pattern allows it.
 */
export function compileRegex(source: string, ignoreCase = false): RegExp {
  let pattern = source
  let flags = ignoreCase ? 'i' : ''
  const inline = /^\(\?([imsx]+)\)/.exec(pattern)
  if (inline) {
    pattern = pattern.slice(inline[0].length)
    for (const f of inline[1] ?? '') {
      if (f === 'i' && !flags.includes('i')) flags += 'i'
      if (f === 's') flags += 's'
      if (f === 'm') flags += 'm'
      if (f === 'x')
        throw new QueryError('RegexCompileError', `the x flag is not supported in '${source}'`)
    }
  }
  pattern = pattern.replaceAll('(?P<', '(?<')
  try {
    return new RegExp(pattern, `${flags}u`)
  } catch {
    try {
      return new RegExp(pattern, flags)
    } catch (err) {
      throw new QueryError(
        'RegexCompileError',
        `Failed to compile regex string '${source}': ${(err as Error).message}`,
      )
    }
  }
}

function asRule(v: Value | undefined): t.Rule {
  if (v === undefined || v === null || typeof v !== 'object' || v.kind !== 'dict') {
    throw badParams(`Expected rule dict, got ${describe(v ?? null)}`)
  }
  const d = v.entries
  const type = d.get('type')
  if (type === undefined) throw badParams('rule does not have a type')
  if (typeof type !== 'string') throw badParams('rule type is not a string')
  if (type === 'none') return { type: 'none' }
  if (type !== 'regex') throw badParams(`Unknown rule type '${type}'`)
  const regex = d.get('regex')
  if (regex === undefined) throw badParams("regex rule is missing the 'regex' field")
  if (typeof regex !== 'string')
    throw badParams('the regex field of the regex rule is not a string')
  const ignoreCase = d.get('ignore_case') ?? false
  if (typeof ignoreCase !== 'boolean') {
    throw badParams('the ignore_case field of the regex rule is not a bool')
  }
  let selectKeys: string[] | null = null
  const keys = d.get('select_keys')
  if (keys !== undefined) {
    if (keys === null || typeof keys !== 'object' || keys.kind !== 'list') {
      throw badParams('the select_keys field of the regex rule is not a list')
    }
    selectKeys = keys.items.map((k) => {
      if (typeof k !== 'string') {
        throw badParams('the select_keys field of the regex rule must contain only strings')
      }
      return k
    })
    if (selectKeys.length === 0) {
      throw new QueryError(
        'RegexCompileError',
        `Failed to compile regex string '${regex}': select_keys must not be empty`,
      )
    }
  }
  return { type: 'regex', regex: compileRegex(regex, ignoreCase), selectKeys }
}

export function asRules<N>(
  v: Value | undefined,
  name: (v: Value | undefined) => N,
  what: string,
): [N, t.Rule][] {
  return asList(v).map((item) => {
    if (item === null || typeof item !== 'object' || item.kind !== 'list') {
      throw badParams(
        `Expected function parameter of type list of (${what}, rule) tuples, got ${describe(item)}`,
      )
    }
    if (item.items.length < 2) {
      throw badParams(
        `Expected function parameter of type list of (${what}, rule) tuples, list contains ${item.items.length} items`,
      )
    }
    return [name(item.items[0]), asRule(item.items[1])]
  })
}

export function valuesEqual(a: Value, b: Value): boolean {
  if (a === null || b === null) return a === b
  if (typeof a !== 'object' || typeof b !== 'object') return a === b
  if (a.kind !== b.kind) return false
  if (a.kind === 'event' && b.kind === 'event') {
    return (
      a.event.timestamp === b.event.timestamp &&
      a.event.duration === b.event.duration &&
      canonical(a.event.data) === canonical(b.event.data)
    )
  }
  if (a.kind === 'list' && b.kind === 'list') {
    return (
      a.items.length === b.items.length &&
      a.items.every((x, i) => valuesEqual(x, b.items[i] as Value))
    )
  }
  if (a.kind === 'dict' && b.kind === 'dict') {
    if (a.entries.size !== b.entries.size) return false
    for (const [k, v] of a.entries) {
      const w = b.entries.get(k)
      if (w === undefined || !valuesEqual(v, w)) return false
    }
    return true
  }
  return false
}

export function canonical(data: JsonObject): string {
  return JSON.stringify(Object.entries(data).sort((x, y) => compareCodePoints(x[0], y[0])))
}

/** `==` as Rust's `query_eq`: values of different types are an error, and none never equals. */
export function queryEq(a: Value, b: Value): boolean {
  const ta = a === null ? 'none' : typeof a === 'object' ? a.kind : typeof a
  const tb = b === null ? 'none' : typeof b === 'object' ? b.kind : typeof b
  if (ta !== tb || ta === 'function') {
    throw new QueryError(
      'InvalidType',
      `Cannot compare values of different types ${describe(a)} and ${describe(b)}`,
    )
  }
  if (ta === 'none') return false
  return valuesEqual(a, b)
}
