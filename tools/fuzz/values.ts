/**
 * Values for requests: what a schema asks for, and what it does not (wrong types, non-finite and
 * huge numbers, deep nesting, long and odd strings, NUL, duplicate keys, out-of-range dates),
 * as fast-check arbitraries, and JSON text that can carry what `JSON.stringify` cannot.
 */
import fc from 'fast-check'

/** Text put into the JSON as it is: `1e309`, `-0`, a 5,000-level nest. */
export class Raw {
  readonly text: string

  constructor(text: string) {
    this.text = text
  }
}

/** An object written with the same key more than once. */
export class DuplicateKeys {
  readonly entries: [string, unknown][]

  constructor(entries: [string, unknown][]) {
    this.entries = entries
  }
}

/** JSON text of a value that may hold `Raw` and `DuplicateKeys` anywhere. */
export function jsonText(value: unknown): string {
  if (value instanceof Raw) return value.text
  if (value instanceof DuplicateKeys) {
    return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(',')}}`
  }
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`)
      .join(',')}}`
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return 'null'
  return JSON.stringify(value) ?? 'null'
}

const nest = (depth: number) => new Raw('['.repeat(depth) + ']'.repeat(depth))

/** Strings a parser, a database or a log might trip on. */
const ODD_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\uffff',
  '𝄞',
  'é'.normalize('NFD'),
  '\r\n',
  '../../etc/passwd',
  '%00',
  '%2e%2e%2f',
  '<script>alert(1)</script>',
  "'; DROP TABLE events; --",
  '${jndi:ldap://x}',
  '__proto__',
  'constructor',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '0x10',
  'true',
  'null',
  '[]',
  '{}',
  '*',
  '.*',
  '(a+)+$',
  '[',
]

/** Timestamps and dates outside what anyone means. */
const ODD_DATES = [
  '2025-13-45T99:99:99Z',
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '1969-12-31T23:59:59.999Z',
  '1970-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '+275760-09-13T00:00:00.000Z',
  '-271821-04-20T00:00:00Z',
  '2025-02-29T00:00:00Z',
  '2025-09-11T12:00:00',
  '2025-09-11T12:00:00+25:00',
  '2025-09-11',
  '9999-99-99',
  '2025-09-11T12:00:00.123456789012Z',
  '1e12',
]

/** Numbers at and past every edge, some as raw JSON text. */
const ODD_NUMBERS: unknown[] = [
  0,
  -0,
  -1,
  1.5,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  -(2 ** 53),
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  -Number.MAX_VALUE,
  1e21,
  new Raw('1e309'),
  new Raw('-1e309'),
  new Raw('1E400'),
  new Raw('-0.0'),
  new Raw('123456789012345678901234567890'),
  new Raw('0.0000000000000000000000000000001'),
]

/** Any JSON value (made once: making one costs milliseconds). */
export const anyJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 2 })

/**
 * Strings of any code points, lone surrogates included. Made from integers: fast-check's own
 * (`unit: 'binary'`) maps all 1.1 million code points back to indexes when it is made, which
 * took seconds of every run's start.
 */
const anyCodePoints: fc.Arbitrary<string> = fc
  .array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 24 })
  .map((points) => String.fromCodePoint(...points))

/** Any odd value at all: wrong types, edges, nesting, long strings. */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(...ODD_STRINGS), weight: 4 },
  { arbitrary: fc.constantFrom(...ODD_DATES), weight: 2 },
  { arbitrary: fc.constantFrom(...ODD_NUMBERS), weight: 3 },
  { arbitrary: fc.constantFrom(null, true, false, [], {}), weight: 2 },
  { arbitrary: anyCodePoints, weight: 2 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.double(), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 66_000 }).map((n) => 'x'.repeat(n)), weight: 1 },
  { arbitrary: fc.constantFrom(40, 63, 64, 65, 200, 5000).map(nest), weight: 1 },
  {
    arbitrary: fc.array(anyJson, { maxLength: 5 }),
    weight: 1,
  },
)

/** A JSON Schema, as far as these generators read one. */
export interface Schema {
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  anyOf?: Schema[]
  oneOf?: Schema[]
  allOf?: Schema[]
  properties?: Record<string, Schema>
  required?: string[]
  additionalProperties?: boolean | Schema
  items?: Schema | Schema[]
  minItems?: number
  maxItems?: number
  minimum?: number
  maximum?: number
  minLength?: number
  maxLength?: number
  format?: string
  pattern?: string
  $ref?: string
}

/** A value of `schema` (mostly valid), mutated here and there with `oddValue`. */
export function valueOf(
  schema: Schema | undefined,
  refs: Record<string, Schema>,
  depth = 0,
): fc.Arbitrary<unknown> {
  const valid = validValueOf(schema, refs, depth)
  return fc.oneof({ arbitrary: valid, weight: 8 }, { arbitrary: oddValue, weight: 1 })
}

function validValueOf(
  s: Schema | undefined,
  refs: Record<string, Schema>,
  depth: number,
): fc.Arbitrary<unknown> {
  if (!s || depth > 6) return anyJson
  if (s.$ref) return validValueOf(refs[s.$ref.split('/').at(-1) ?? ''], refs, depth + 1)
  if (s.const !== undefined) return fc.constant(s.const)
  if (s.enum) return fc.constantFrom(...s.enum)
  const union = s.anyOf ?? s.oneOf
  if (union && union.length > 0) return fc.oneof(...union.map((b) => valueOf(b, refs, depth + 1)))
  if (s.allOf && s.allOf.length > 0) return validValueOf(s.allOf[0], refs, depth + 1)
  const type = Array.isArray(s.type) ? s.type[0] : s.type
  switch (type) {
    case 'null':
      return fc.constant(null)
    case 'boolean':
      return fc.boolean()
    case 'integer':
      return fc.integer({
        min: Math.max(s.minimum ?? -1_000_000, Number.MIN_SAFE_INTEGER),
        max: Math.min(s.maximum ?? 10_000_000_000, Number.MAX_SAFE_INTEGER),
      })
    case 'number':
      return fc.double({
        min: s.minimum ?? -1e12,
        max: s.maximum ?? 1e12,
        noNaN: true,
        noDefaultInfinity: true,
      })
    case 'string':
      return stringOf(s)
    case 'array': {
      if (Array.isArray(s.items))
        return fc.tuple(...s.items.map((i) => valueOf(i, refs, depth + 1)))
      return fc.array(valueOf(s.items, refs, depth + 1), {
        minLength: Math.min(s.minItems ?? 0, 3),
        maxLength: Math.min(s.maxItems ?? 4, 4),
      })
    }
    case 'object':
      return objectOf(s, refs, depth)
    default:
      return anyJson
  }
}

function stringOf(s: Schema): fc.Arbitrary<unknown> {
  if (s.format === 'date-time') {
    return fc
      .integer({ min: Date.parse('2020-01-01'), max: Date.now() + 86_400_000 })
      .map((ms) => new Date(ms).toISOString())
  }
  if (s.format === 'uuid') return fc.uuid()
  if (s.format === 'date') {
    return fc
      .integer({ min: Date.parse('2020-01-01'), max: Date.now() })
      .map((ms) => new Date(ms).toISOString().slice(0, 10))
  }
  return text(Math.min(s.minLength ?? 0, 8), Math.min(s.maxLength ?? 24, 24))
}

/** String arbitraries, made once per length range (making one costs about a millisecond). */
const texts = new Map<string, fc.Arbitrary<string>>()

/** Strings of `min` to `max` characters. */
export function text(min: number, max: number): fc.Arbitrary<string> {
  const key = `${min}-${max}`
  let a = texts.get(key)
  if (!a) texts.set(key, (a = fc.string({ minLength: min, maxLength: max })))
  return a
}

function objectOf(s: Schema, refs: Record<string, Schema>, depth: number): fc.Arbitrary<unknown> {
  const props = s.properties ?? {}
  const required = new Set(s.required ?? [])
  const model = Object.fromEntries(
    Object.entries(props).map(([k, v]) => [k, valueOf(v, refs, depth + 1)]),
  )
  const known = fc.record(model, { requiredKeys: [...required].filter((k) => k in props) })
  // Now and then a key nobody asked for, or one left out that was required.
  return fc.oneof(
    { arbitrary: known, weight: 6 },
    {
      arbitrary: fc
        .tuple(known, text(0, 8), oddValue)
        .map(([o, k, v]) => ({ ...(o as object), [k]: v })),
      weight: 1,
    },
    {
      arbitrary: fc
        .tuple(
          known,
          fc.constantFrom(...(Object.keys(props).length > 0 ? Object.keys(props) : ['x'])),
          oddValue,
          oddValue,
        )
        .map(([o, k, a, b]) => new DuplicateKeys([...Object.entries(o as object), [k, a], [k, b]])),
      weight: 1,
    },
  )
}
