/**
 * Runs a parsed query for one time period, with aw-server-rust's semantics: values are none,
 * booleans, numbers, strings, events, lists and dicts; functions live in the environment beside
 * variables; the result is `RETURN` (set by `RETURN = …` or `return …`). Errors are `QueryError`s
 * naming the problem and where it is, never a crash.
 */
import { Float } from '../json.ts'
import { type AwEvent, eventQueryWire } from '../model.ts'
import { type TimeInterval, formatTimeInterval, parseTimeInterval } from '../time.ts'
import * as t from '../transforms.ts'
import { type Expr, type Position, QueryError, parseQuery } from './parse.ts'
import {
  type Value,
  argCount,
  asEvents,
  asJson,
  asList,
  asNumber,
  asRules,
  asString,
  asStrings,
  badParams,
  compileRegex,
  describe,
  eventList,
  list,
  queryEq,
  valuesEqual,
} from './values.ts'

/** What queries read: the buckets, and a bucket's events in a range (newest first, clipped). */
export interface QuerySource {
  buckets(): Promise<readonly { id: string; hostname: string }[]>
  /** Throws when the bucket does not exist. */
  events(bucketId: string, start: bigint, end: bigint): Promise<AwEvent[]>
}

type QueryFn = (args: Value[], ctx: Context) => Promise<Value> | Value

interface Context {
  env: Map<string, Value>
  source: QuerySource
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
const QUERY_FUNCTIONS = Object.keys(FUNCTIONS)

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
