/**
 * JSON request bodies, on every listener: how deep a body may nest, checked on the text before it
 * is parsed into objects.
 *
 * Why on the text: a value nested thousands of levels deep parses (V8's parser does not recurse),
 * but everything after it does: schema validation, the structured clone that hands it to a store
 * worker (`postMessage` overflowed the stack at 5,000 levels: a 500 without a token on
 * ActivityWatch's heartbeat route), serialisation. One linear scan of the text, before anything
 * is built, keeps every later step within bounds. Sizes are bounded by each route's body limit.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { UnprocessableError } from '../domain/errors.ts'

/**
 * The deepest nesting of arrays and objects a JSON value may have. Real payloads (heartbeat data,
 * settings, chat messages, JSON-RPC) nest a handful of levels; ActivityWatch's own server
 * (serde_json) stops at 128.
 */
export const MAX_JSON_DEPTH = 64

/** True when `text`, read as JSON, nests arrays and objects deeper than `limit`. */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0
  const n = text.length
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x22) {
      // A string: brackets inside it do not count. An escape skips the character after it.
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i)
        if (d === 0x5c) i++
        else if (d === 0x22) break
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true
    } else if (c === 0x5d || c === 0x7d) {
      depth--
    }
  }
  return false
}

/** Throws a 422 naming the limit when `text` nests deeper than `MAX_JSON_DEPTH`. */
export function checkJsonDepth(text: string, what = 'the JSON body'): void {
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new UnprocessableError(
      'json_too_deep',
      `${what} nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; ` +
        `${MAX_JSON_DEPTH} is the limit`,
    )
  }
}

/** `JSON.parse` of text from a client, within the depth limit. */
export function parseJsonText(text: string, what?: string): unknown {
  checkJsonDepth(text, what)
  return JSON.parse(text) as unknown
}

/**
 * Installs the JSON body parser of an app for `types` (default `application/json`): the depth
 * check, then Fastify's own parser (which refuses `__proto__` and `constructor` keys). `empty`
 * decides what an empty body is: a value, or an error.
 */
export function installJsonParser(
  app: FastifyInstance,
  options: {
    types?: string[]
    empty: (request: FastifyRequest) => { value: unknown } | { error: Error }
  },
): void {
  const parse = app.getDefaultJsonParser('error', 'error')
  const types = options.types ?? ['application/json']
  for (const type of types) if (app.hasContentTypeParser(type)) app.removeContentTypeParser(type)
  app.addContentTypeParser(types, { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8')
    if (text.trim() === '') {
      const empty = options.empty(request)
      if ('error' in empty) done(empty.error, undefined)
      else done(null, empty.value)
      return
    }
    try {
      checkJsonDepth(text)
    } catch (err) {
      done(err as Error, undefined)
      return
    }
    void parse(request, text, done)
  })
}
