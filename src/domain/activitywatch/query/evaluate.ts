/**
 * Runs a parsed query for one time period, with aw-server-rust's semantics: values are none,
 * booleans, numbers, strings, events, lists and dicts; functions live in the environment beside
 * variables; the result is `RETURN` (set by `RETURN = …` or `return …`). Errors are `QueryError`s
 * naming the problem and where it is, never a crash.
 */
import { type JsonObject, type JsonValue, Float, compareCodePoints } from '../json.ts'
import { type AwEvent, eventQueryWire } from '../model.ts'
import { type TimeInterval, formatTimeInterval, parseTimeInterval } from '../time.ts'
import * as t from '../transforms.ts'
import { type Expr, type Position, QueryError, parseQuery } from './parse.ts'

/** What queries read: the buckets, and a bucket's events in a range (newest first, clipped). */
export interface QuerySource {
  buckets(): Promise<readonly { id: string; hostname: string }[]>
  /** Throws when the bucket does not exist. */
  events(bucketId: string, start: bigint, end: bigint): Promise<AwEvent[]>
}

export type Value =
  | null
  | boolean
  | number
  | string
  | { kind: 'event'; event: AwEvent }
  | { kind: 'list'; items: Value[] }
  | { kind: 'dict'; entries: Map<string, Value> }
  | { kind: 'function'; name: string }

type QueryFn = (args: Value[], ctx: Context) => Promise<Value> | Value

interface Context {
  env: Map<string, Value>
  source: QuerySource
}

const list = (items: Value[]): Value => ({ kind: 'list', items })
const eventList = (events: readonly AwEvent[]): Value =>
  list(events.map((event) => ({ kind: 'event', event })))

function describe(v: Value): string {
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

function badParams(detail: string): QueryError {
  return new QueryError('InvalidFunctionParameters', detail)
}

function argCount(args: Value[], n: number): void {
  if (args.length !== n) throw badParams(`Expected ${n} parameters in function, got ${args.length}`)
}

function asList(v: Value | undefined): Value[] {
  if (v !== undefined && v !== null && typeof v === 'object' && v.kind === 'list') return v.items
  throw badParams(`Expected function parameter of type List, got ${describe(v ?? null)}`)
}

function asEvents(v: Value | undefined): AwEvent[] {
  return asList(v).map((item) => {
    if (item !== null && typeof item === 'object' && item.kind === 'event') return item.event
    throw badParams(
      `Expected function parameter of type List of Events, list contains ${describe(item)}`,
    )
  })
}

function asString(v: Value | undefined): string {
  if (typeof v === 'string') return v
  throw badParams(`Expected function parameter of type String, got ${describe(v ?? null)}`)
}

function asStrings(v: Value | undefined): string[] {
  return asList(v).map(asString)
}

function asNumber(v: Value | undefined): number {
  if (typeof v === 'number') return v
  throw badParams(`Expected function parameter of type Number, got ${describe(v ?? null)}`)
}

/** A query value as JSON data (for filter values): events and dicts are refused, as in Rust. */
function asJson(v: Value): JsonValue {
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

function asRules<N>(
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

function interval(ctx: Context): TimeInterval {
  const ti = ctx.env.get('TIMEINTERVAL')
  if (typeof ti !== 'string') {
    throw new QueryError('TimeIntervalError', 'TIMEINTERVAL is not of type string!')
  }
  const parsed = parseTimeInterval(ti)
  if (!parsed) throw new QueryError('TimeIntervalError', `Failed to parse TIMEINTERVAL: ${ti}`)
  return parsed
}

function valuesEqual(a: Value, b: Value): boolean {
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

function canonical(data: JsonObject): string {
  return JSON.stringify(Object.entries(data).sort((x, y) => compareCodePoints(x[0], y[0])))
}

/** `==` as Rust's `query_eq`: values of different types are an error, and none never equals. */
function queryEq(a: Value, b: Value): boolean {
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

const FUNCTIONS: Record<string, QueryFn> = {
  print: () => null,
  query_bucket: async (args, ctx) => {
    argCount(args, 1)
    const id = asString(args[0])
    const ti = interval(ctx)
    try {
      return eventList(await ctx.source.events(id, ti.start, ti.end))
    } catch (err) {
      throw new QueryError('BucketQueryError', `Failed to query bucket: ${(err as Error).message}`)
    }
  },
  query_bucket_names: async (args, ctx) => {
    argCount(args, 0)
    return list((await ctx.source.buckets()).map((b) => b.id))
  },
  find_bucket: async (args, ctx) => {
    if (args.length !== 1 && args.length !== 2) argCount(args, 1)
    const filter = asString(args[0])
    const host = args.length === 2 ? asString(args[1]) : undefined
    const found = t.findBucket(filter, host, await ctx.source.buckets())
    if (found === undefined) {
      throw new QueryError(
        'BucketQueryError',
        host === undefined
          ? `Failed to find bucket matching filter '${filter}'`
          : `Failed to find bucket matching filter '${filter}' and hostname '${host}'`,
      )
    }
    return found
  },
  contains: (args) => {
    argCount(args, 2)
    const [container, x] = args as [Value, Value]
    if (container !== null && typeof container === 'object' && container.kind === 'list') {
      return container.items.some((item) => valuesEqual(item, x))
    }
    if (container !== null && typeof container === 'object' && container.kind === 'dict') {
      if (typeof x !== 'string') {
        throw badParams(
          `function contains got second argument ${describe(x)}, expected type String`,
        )
      }
      return container.entries.has(x)
    }
    throw badParams(
      `function contains got first argument ${describe(container)}, expected type List or Dict`,
    )
  },
  flood: (args) => {
    argCount(args, 1)
    return eventList(t.flood(asEvents(args[0]), 5_000_000_000n))
  },
  categorize: (args) => {
    argCount(args, 2)
    return eventList(t.categorize(asEvents(args[0]), asRules(args[1], asStrings, 'category')))
  },
  tag: (args) => {
    argCount(args, 2)
    return eventList(t.tag(asEvents(args[0]), asRules(args[1], asString, 'tag')))
  },
  sort_by_duration: (args) => {
    argCount(args, 1)
    return eventList(t.sortByDuration(asEvents(args[0])))
  },
  sort_by_timestamp: (args) => {
    argCount(args, 1)
    return eventList(t.sortByTimestamp(asEvents(args[0])))
  },
  limit_events: (args) => {
    argCount(args, 2)
    const events = asEvents(args[0])
    // Rust's `f64 as usize`: truncated, negative and NaN to 0.
    const n = Math.max(0, Math.trunc(asNumber(args[1])) || 0)
    return eventList(events.slice(0, n))
  },
  sum_durations: (args) => {
    argCount(args, 1)
    return t.sumDurations(asEvents(args[0]))
  },
  merge_events_by_keys: (args) => {
    argCount(args, 2)
    return eventList(t.mergeEventsByKeys(asEvents(args[0]), asStrings(args[1])))
  },
  chunk_events_by_key: (args) => {
    argCount(args, 2)
    return eventList(t.chunkEventsByKey(asEvents(args[0]), asString(args[1])))
  },
  filter_keyvals: (args) => {
    argCount(args, 3)
    const events = asEvents(args[0])
    const key = asString(args[1])
    return eventList(t.filterKeyvals(events, key, asList(args[2]).map(asJson)))
  },
  exclude_keyvals: (args) => {
    argCount(args, 3)
    const events = asEvents(args[0])
    const key = asString(args[1])
    return eventList(t.excludeKeyvals(events, key, asList(args[2]).map(asJson)))
  },
  filter_keyvals_regex: (args) => {
    argCount(args, 3)
    const events = asEvents(args[0])
    const key = asString(args[1])
    return eventList(t.filterKeyvalsRegex(events, key, compileRegex(asString(args[2]))))
  },
  filter_period_intersect: (args) => {
    argCount(args, 2)
    return eventList(t.filterPeriodIntersect(asEvents(args[0]), asEvents(args[1])))
  },
  split_url_events: (args) => {
    argCount(args, 1)
    return eventList(asEvents(args[0]).map(t.splitUrlEvent))
  },
  concat: (args) => eventList(args.flatMap((a) => asEvents(a))),
  period_union: (args) => {
    argCount(args, 2)
    return eventList(t.periodUnion(asEvents(args[0]), asEvents(args[1])))
  },
  union_no_overlap: (args) => {
    argCount(args, 2)
    return eventList(t.unionNoOverlap(asEvents(args[0]), asEvents(args[1])))
  },
}

/** The functions a query can call. */
export const QUERY_FUNCTIONS = Object.keys(FUNCTIONS)

/** Adds the position to an error that has none yet. */
function at(err: unknown, where: Position): never {
  if (err instanceof QueryError && !/ at line \d+, column \d+$/.test(err.message)) {
    Object.defineProperty(err, 'message', {
      value: `${err.message} at line ${where.line}, column ${where.column}`,
    })
  }
  throw err
}

function numbers(op: string, a: Value, b: Value): [number, number] {
  if (typeof a !== 'number' || typeof b !== 'number') {
    throw new QueryError('InvalidType', `Cannot use ${op} on something that is not a number`)
  }
  return [a, b]
}

async function evaluate(e: Expr, ctx: Context): Promise<Value> {
  try {
    switch (e.kind) {
      case 'number':
      case 'string':
      case 'bool':
        return e.value
      case 'var': {
        const v = ctx.env.get(e.name)
        if (v === undefined) throw new QueryError('VariableNotDefined', e.name)
        return v
      }
      case 'list': {
        const items: Value[] = []
        for (const item of e.items) items.push(await evaluate(item, ctx))
        return list(items)
      }
      case 'dict': {
        const entries = new Map<string, Value>()
        for (const [k, v] of e.entries) entries.set(k, await evaluate(v, ctx))
        return { kind: 'dict', entries }
      }
      case 'assign':
        ctx.env.set(e.name, await evaluate(e.value, ctx))
        return null
      case 'return':
        ctx.env.set('RETURN', await evaluate(e.value, ctx))
        return null
      case 'if':
        for (const branch of e.branches) {
          if (queryEq(await evaluate(branch.cond, ctx), true)) {
            for (const s of branch.body) await evaluate(s, ctx)
            break
          }
        }
        return null
      case 'call': {
        const args: Value[] = []
        for (const a of e.args) args.push(await evaluate(a, ctx))
        const f = ctx.env.get(e.name)
        if (f === undefined) throw new QueryError('VariableNotDefined', e.name)
        if (f === null || typeof f !== 'object' || f.kind !== 'function') {
          throw new QueryError('InvalidType', `${e.name} is not a function`)
        }
        const fn = FUNCTIONS[f.name] as QueryFn
        return await fn(args, ctx)
      }
      case 'binary': {
        const a = await evaluate(e.left, ctx)
        const b = await evaluate(e.right, ctx)
        switch (e.op) {
          case '+':
            if (typeof a === 'number' && typeof b === 'number') return a + b
            if (typeof a === 'string' && typeof b === 'string') return a + b
            if (
              a !== null &&
              b !== null &&
              typeof a === 'object' &&
              typeof b === 'object' &&
              a.kind === 'list' &&
              b.kind === 'list'
            ) {
              return list([...a.items, ...b.items])
            }
            throw new QueryError(
              'InvalidType',
              'Cannot use + on something that is not a number, list or string!',
            )
          case '-': {
            const [x, y] = numbers('-', a, b)
            return x - y
          }
          case '*': {
            const [x, y] = numbers('*', a, b)
            return x * y
          }
          case '/': {
            const [x, y] = numbers('/', a, b)
            if (y === 0) throw new QueryError('MathError', 'Tried to divide by zero!')
            return x / y
          }
          case '%': {
            const [x, y] = numbers('%', a, b)
            return x % y
          }
          case '==':
            return queryEq(a, b)
        }
      }
    }
  } catch (err) {
    at(err, e.at)
  }
}

/** The result of a query as JSON for the wire: numbers as floats, events with sorted keys. */
export function resultWire(v: Value): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v
  if (typeof v === 'number') return new Float(v)
  switch (v.kind) {
    case 'event':
      return eventQueryWire(v.event)
    case 'list':
      return v.items.map(resultWire)
    case 'dict':
      return new Map([...v.entries].map(([k, x]) => [k, resultWire(x)]))
    case 'function':
      throw new QueryError('InvalidType', `the query returned the function ${v.name}, not a value`)
  }
}

/** A parsed query, ready to run once per period. */
export function compileQuery(source: string): Expr[] {
  return parseQuery(source)
}

/** Runs a parsed query for one period; resolves to `RETURN`. */
export async function runQuery(
  program: Expr[],
  period: TimeInterval,
  source: QuerySource,
): Promise<Value> {
  const env = new Map<string, Value>()
  env.set('TIMEINTERVAL', formatTimeInterval(period))
  for (const name of QUERY_FUNCTIONS) env.set(name, { kind: 'function', name })
  const ctx: Context = { env, source }
  for (const statement of program) await evaluate(statement, ctx)
  const result = env.get('RETURN')
  if (result === undefined) {
    throw new QueryError(
      'EmptyQuery',
      'the query sets no result (end it with "return …;" or "RETURN = …;")',
    )
  }
  return result
}
