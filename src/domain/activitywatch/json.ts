/**
 * JSON as ActivityWatch's Rust server writes it: object keys sorted by code point (its maps are
 * ordered maps), floats in the shortest round-trip form with a `.0` on whole numbers (`1.0`,
 * `1e16`, `1.5e-7`), integers as plain digits. `JSON.stringify` cannot say `1.0`, so every wire
 * body of the ActivityWatch listener is written here.
 */

/** A JSON value as parsed from a request body. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject
/** A JSON object (ActivityWatch event and bucket `data`). */
export interface JsonObject {
  [key: string]: JsonValue
}

/** A number the wire writes as a float (`1.0`), as the Rust server does for `f64` fields. */
export class Float {
  readonly value: number
  constructor(value: number) {
    this.value = value
  }
}

/** An object whose keys are written in the given order (a Rust struct), not sorted. */
export class Struct {
  readonly entries: readonly (readonly [string, unknown])[]
  constructor(entries: readonly (readonly [string, unknown])[]) {
    this.entries = entries
  }
}

/**
 * What the writer accepts: JSON values (plain objects, arrays, maps), explicit `Float`s and
 * ordered `Struct`s, nested freely. Typed `unknown` on purpose: a recursive union of classes sends
 * type-aware lint rules into unbounded recursion; the writer checks every value it meets.
 */
export type Wire = unknown

/** Orders strings by Unicode code point, as Rust orders `String`s (UTF-8 byte order). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    // Surrogates (astral code points) sort after every BMP character in code point order.
    const xs = x >= 0xd800 && x <= 0xdfff
    const ys = y >= 0xd800 && y <= 0xdfff
    if (xs !== ys) return xs ? 1 : -1
    return x - y
  }
  return a.length - b.length
}

/**
 * A finite double in the Rust `ryu` crate's format: shortest round-trip digits, a `.0` on whole
 * numbers, plain notation for 1e-5 ≤ |x| < 1e16, else `1e16` / `1.5e-7` (no `+` in exponents).
 */
export function formatFloat(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0'
  const sign = x < 0 ? '-' : ''
  // toExponential() without an argument gives the shortest digits that round-trip.
  const [mantissa = '', expText = '0'] = Math.abs(x).toExponential().split('e')
  const digits = mantissa.replace('.', '')
  const length = digits.length
  const kk = Number(expText) + 1 // 10^(kk-1) <= |x| < 10^kk
  let body: string
  if (kk >= length && kk <= 16) {
    body = digits + '0'.repeat(kk - length) + '.0'
  } else if (kk > 0 && kk <= 16) {
    body = `${digits.slice(0, kk)}.${digits.slice(kk)}`
  } else if (kk > -5 && kk <= 0) {
    body = `0.${'0'.repeat(-kk)}${digits}`
  } else if (length === 1) {
    body = `${digits}e${kk - 1}`
  } else {
    body = `${digits[0] ?? ''}.${digits.slice(1)}e${kk - 1}`
  }
  return sign + body
}

/**
 * A JSON number from event data. JavaScript cannot tell `1` from `1.0` once parsed, so whole
 * numbers are written as integers (what watchers send), fractions as Rust writes floats.
 */
function formatDataNumber(x: number): string {
  if (!Number.isFinite(x)) return 'null'
  if (Number.isInteger(x) && Math.abs(x) < 2 ** 64) return BigInt(x).toString()
  return formatFloat(x)
}

/** Writes a wire value as JSON text (no whitespace). Plain objects and maps get sorted keys. */
export function writeJson(value: Wire): string {
  const out: string[] = []
  write(value, out)
  return out.join('')
}

function write(value: Wire, out: string[]): void {
  if (value === null || value === undefined) out.push('null')
  else if (typeof value === 'boolean') out.push(value ? 'true' : 'false')
  else if (typeof value === 'number') out.push(formatDataNumber(value))
  else if (typeof value === 'string') out.push(JSON.stringify(value))
  else if (value instanceof Float)
    out.push(Number.isFinite(value.value) ? formatFloat(value.value) : 'null')
  else if (value instanceof Struct) {
    out.push('{')
    value.entries.forEach(([k, v], i) => {
      if (i > 0) out.push(',')
      out.push(JSON.stringify(k), ':')
      write(v, out)
    })
    out.push('}')
  } else if (isWireArray(value)) {
    out.push('[')
    value.forEach((v, i) => {
      if (i > 0) out.push(',')
      write(v, out)
    })
    out.push(']')
  } else if (typeof value === 'object') {
    const entries: [string, Wire][] =
      value instanceof Map
        ? [...(value as Map<string, Wire>).entries()]
        : Object.entries(value as Record<string, Wire>)
    entries.sort((a, b) => compareCodePoints(a[0], b[0]))
    out.push('{')
    entries.forEach(([k, v], i) => {
      if (i > 0) out.push(',')
      out.push(JSON.stringify(k), ':')
      write(v, out)
    })
    out.push('}')
  } else {
    throw new TypeError(`cannot write ${typeof value} as JSON`)
  }
}

function isWireArray(value: Wire): value is readonly Wire[] {
  return Array.isArray(value)
}

/** Deep JSON equality, key order ignored (serde_json `Value` equality; numbers by value). */
export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i] ?? null, b[i] ?? null)) return false
    return true
  }
  if (Array.isArray(b)) return false
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) {
    if (!Object.hasOwn(b, k)) return false
    if (!jsonEqual(a[k] ?? null, b[k] ?? null)) return false
  }
  return true
}

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Canonical text of a JSON value: sorted keys, Rust number format. Equal values, equal text. */
export function canonicalJson(v: JsonValue): string {
  return writeJson(v)
}
