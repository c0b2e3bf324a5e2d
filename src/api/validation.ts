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

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({
    removeAdditional: true,
    useDefaults: true,
    allErrors: false,
    // Errors carry their schema, so a failed union can be explained by its description.
    verbose: true,
    ...options,
  })
  addFormats.default(ajv)
  return ajv
}

const coercing = makeAjv({ coerceTypes: 'array' })
// Bodies also keep unknown keys, so a schema that forbids them (settings) rejects a typo
// instead of silently dropping it.
const strict = makeAjv({ coerceTypes: false, removeAdditional: false })

/** Fastify validator compiler: strict for bodies, coercing for everything that arrives as text. */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strict : coercing
  return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>
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
    const description = (union.parentSchema as { description?: string } | undefined)?.description
    const detail = description ? `must be ${description}` : 'has an unsupported form'
    return { field: name, message: `${name} ${detail}`, keyword: 'anyOf' }
  }
  if (chosen.keyword === 'additionalProperties') {
    const extra = (chosen.params as { additionalProperty: string }).additionalProperty
    const field = fieldName(part, `${chosen.instancePath}/${extra}`)
    return { field, message: `${field} is not a known field`, keyword: 'additionalProperties' }
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
