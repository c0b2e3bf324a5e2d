/**
 * Request validation: two Ajv instances compiled from the same TypeBox schemas.
 *
 * Query strings and path params arrive as text, so they are coerced (`"7"` → 7, a lone `apps=x`
 * → `["x"]`). JSON bodies are typed already, so they are not: `"duration":"120"` is a wrong type,
 * and the client hears so instead of having it silently converted.
 */
import { Ajv, type ErrorObject, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'
import { fastTimestamp } from '../domain/calendar.ts'

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({
    removeAdditional: true,
    useDefaults: true,
    allErrors: false,
    // Errors carry their schema, so a failed union can be explained by its description.
    verbose: true,
    // Our schemas are TypeBox's output, checked against JSON Schema's meta-schema once by the test
    // suite (test/api/schemas-valid.test.ts). Checking them at run time made each instance's first
    // compile build the meta-schema's own validator: some 45 ms of CPU in a person's first request.
    validateSchema: false,
    ...options,
  })
  addFormats.default(ajv)
  // Timestamps in the common form are checked by the same reader that turns them into times (a
  // fraction of the cost, which counts at ingest: two per event). It accepts only what the full
  // RFC 3339 check accepts; anything else gets that full check, so what passes is unchanged.
  const full = ajv.formats['date-time'] as { validate: (s: string) => boolean; compare: never }
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (s: string) => fastTimestamp(s) !== undefined || full.validate(s),
    compare: full.compare,
  })
  return ajv
}

const coercing = makeAjv({ coerceTypes: 'array' })
// Bodies also keep unknown keys, so a schema that forbids them (settings) rejects a typo
// instead of silently dropping it.
const strict = makeAjv({ coerceTypes: false, removeAdditional: false })

/** The path of the first number in `data` that is not finite, or undefined. */
function nonFinite(data: unknown, path = ''): string | undefined {
  if (typeof data === 'number') return Number.isFinite(data) ? undefined : path
  if (typeof data !== 'object' || data === null) return undefined
  for (const [key, value] of Object.entries(data)) {
    const found = nonFinite(value, `${path}/${key}`)
    if (found !== undefined) return found
  }
  return undefined
}

/** A validation function in Ajv's shape: its failures are left in `errors`. */
type Checked = ((data: unknown) => boolean) & { errors: ErrorObject[] | null | undefined }

/**
 * Fastify validator compiler: strict for bodies, coercing for everything that arrives as text.
 * Coercion reads `Infinity` and `1e309` as numbers that pass Ajv's integer check and slip past
 * bounds; text parts are refused when any number in them is not finite.
 */
export const validatorCompiler: FastifySchemaCompiler<unknown> = (route) =>
  lazyValidator(() => {
    // Fastify hands each app its own copy of a route's schema, so Ajv's cache (by object) never
    // hits and every app compiled every validator again: most of an app's start-up CPU where a
    // process builds many (the AW listener beside the API; tests), and a leak into the shared Ajv
    // instances. Validators are kept by what the schema says instead: compiled once per process.
    const key = `${route.httpPart ?? ''}\0${JSON.stringify(route.schema)}`
    let validate = compiled.get(key)
    if (validate === undefined) compiled.set(key, (validate = compileValidator(route)))
    return validate
  })

const compiled = new Map<string, Checked>()

/**
 * A validator compiled on its first use. Fastify compiles every route's schemas before the daemon
 * is ready; compiling a hundred routes' worth took half of the start-up time. Each is compiled
 * when its route is first called instead (a few milliseconds, once). The wrapper is an Ajv
 * function to Fastify: its failures are in `errors`, and `schemaEnv` makes Fastify pass the
 * parent data Ajv needs to change a root value.
 */
function lazyValidator(compile: () => Checked): ReturnType<FastifySchemaCompiler<unknown>> {
  let validate: Checked | undefined
  const lazy = Object.assign(
    (...args: unknown[]): boolean => {
      validate ??= compile()
      const ok = (validate as (...a: unknown[]) => boolean)(...args)
      lazy.errors = validate.errors
      return ok
    },
    { errors: null as ErrorObject[] | null | undefined, schemaEnv: true },
  )
  return lazy as ReturnType<FastifySchemaCompiler<unknown>>
}

function compileValidator({
  schema,
  httpPart,
}: Parameters<FastifySchemaCompiler<unknown>>[0]): Checked {
  if (httpPart === 'body') return strict.compile(schema as object) as unknown as Checked
  const validate = coercing.compile(schema as object)
  const known = knownParameters(schema as SchemaNode, httpPart)
  const checked: Checked = Object.assign(
    (data: unknown): boolean => {
      // A misspelt parameter would otherwise be dropped and the answer silently cover something
      // else (`?preset=today` on a route without presets gave the all-time total).
      if (known && typeof data === 'object' && data !== null) {
        const unknown = Object.keys(data).find((k) => !known.has(k))
        if (unknown !== undefined) {
          checked.errors = [
            {
              instancePath: '',
              schemaPath: '',
              keyword: 'additionalProperties',
              params: { additionalProperty: unknown },
              message: `must not have ${unknown}`,
            },
          ]
          return false
        }
      }
      const ok = validate(data)
      checked.errors = validate.errors
      if (!ok) return false
      const path = nonFinite(data)
      if (path === undefined) return true
      checked.errors = [
        {
          instancePath: path,
          schemaPath: '',
          keyword: 'type',
          params: {},
          message: 'must be a finite number',
        },
      ]
      return false
    },
    { errors: null },
  )
  return checked
}

/** Query parameters a schema names (plus `token`, taken by the stream), or undefined for any. */
function knownParameters(schema: SchemaNode, part: string | undefined): Set<string> | undefined {
  if (part !== 'querystring' || !schema.properties || schema.additionalProperties === true) {
    return undefined
  }
  return new Set([...Object.keys(schema.properties), 'token'])
}

interface SchemaNode {
  properties?: Record<string, unknown>
  additionalProperties?: unknown
  const?: unknown
  anyOf?: SchemaNode[]
  description?: string
  type?: string
  format?: string
  minimum?: number
  maximum?: number
}

const TIMESTAMP_HINT = 'an RFC 3339 timestamp with an offset, e.g. 2025-09-11T12:34:56Z'

/** The literal values a schema allows when it allows nothing else, else undefined. */
function literals(schema: SchemaNode): unknown[] | undefined {
  if (schema.const !== undefined) return [schema.const]
  if (!schema.anyOf) return undefined
  const out: unknown[] = []
  for (const branch of schema.anyOf) {
    const values = literals(branch)
    if (!values) return undefined
    out.push(...values)
  }
  return out
}

/** What a value must be to match `schema`, as words ("one of hour, day", "an RFC 3339 …"). */
function expected(schema: SchemaNode): string | undefined {
  const values = literals(schema)
  if (values) {
    const names = values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
    return names.length === 1 ? String(names[0]) : `one of ${names.join(', ')}`
  }
  if (schema.format === 'date-time') return TIMESTAMP_HINT
  if (schema.description) return schema.description.replace(/\.$/, '')
  if (schema.anyOf) {
    const parts = schema.anyOf.map(expected)
    return parts.every((p) => p !== undefined) ? parts.join(', or ') : undefined
  }
  if (schema.type === 'null') return 'null'
  if (schema.type === 'integer' || schema.type === 'number') {
    const what = schema.type === 'integer' ? 'a whole number' : 'a number'
    if (schema.minimum !== undefined && schema.maximum !== undefined) {
      return `${what} from ${schema.minimum} to ${schema.maximum}`
    }
    return what
  }
  if (schema.type === 'string') return 'a string'
  if (schema.type === 'boolean') return 'true or false'
  return undefined
}

/** Where in the request the invalid data was. */
export type RequestPart = 'body' | 'querystring' | 'params' | 'headers'

export interface ValidationProblem {
  field: string
  message: string
  keyword: string
}

/**
 * One readable problem from Ajv's errors. A failed union is described by the union's own
 * `description`, not by the failures of each of its branches.
 */
export function describeValidation(errors: ErrorObject[], part: string): ValidationProblem {
  // The outermost union: shortest path, and among equal paths the last reported (Ajv reports
  // nested failures before the union that contains them).
  let union: ErrorObject | undefined
  for (const e of errors) {
    if (e.keyword !== 'anyOf') continue
    if (!union || e.instancePath.length <= union.instancePath.length) union = e
  }
  const chosen = union ?? errors[0]
  if (!chosen) return { field: part, message: `${part} is invalid`, keyword: 'unknown' }
  const name = fieldName(part, chosen.instancePath)
  if (union) {
    const wanted = expected((union.parentSchema ?? {}) as SchemaNode)
    const detail = wanted === undefined ? 'has an unsupported form' : `must be ${wanted}`
    return { field: name, message: `${name} ${detail}`, keyword: 'anyOf' }
  }
  if (chosen.keyword === 'format' || chosen.keyword === 'enum') {
    const wanted = expected((chosen.parentSchema ?? {}) as SchemaNode)
    if (wanted !== undefined) {
      return { field: name, message: `${name} must be ${wanted}`, keyword: chosen.keyword }
    }
  }
  if (chosen.keyword === 'additionalProperties') {
    const extra = (chosen.params as { additionalProperty: string }).additionalProperty
    const field = fieldName(part, `${chosen.instancePath}/${extra}`)
    const what = part === 'querystring' ? 'parameter' : 'field'
    return { field, message: `${field} is not a known ${what}`, keyword: 'additionalProperties' }
  }
  if (chosen.keyword === 'required') {
    const missing = (chosen.params as { missingProperty: string }).missingProperty
    const field = fieldName(part, `${chosen.instancePath}/${missing}`)
    return { field, message: `${field} is required`, keyword: 'required' }
  }
  return {
    field: name,
    message: `${name} ${chosen.message ?? 'is invalid'}`,
    keyword: chosen.keyword,
  }
}

/** `body` + `/0/timestamp` → `body/0/timestamp`; query params read as `preset[custom][start]`. */
function fieldName(part: string, pointer: string): string {
  const segments = pointer.split('/').filter((s) => s !== '')
  if (part === 'querystring' && segments.length > 0) {
    const [head, ...rest] = segments
    return `${head ?? ''}${rest.map((s) => `[${s}]`).join('')}`
  }
  return segments.length > 0 ? `${part}/${segments.join('/')}` : part
}
