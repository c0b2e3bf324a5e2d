/**
 * Response serializers compiled on first use. Fastify builds a serializer for every response
 * schema of every route before the server is ready; for this API that was a third of the time
 * from start to ready. Each serializer is built (by Fastify's own compiler, with the shared
 * schemas) the first time its route answers with that status instead: a few milliseconds, once.
 */
import { type SerializerFactory, SerializerSelector } from '@fastify/fast-json-stringify-compiler'

const eager = SerializerSelector()

/** A `schemaController.compilersFactory.buildSerializer` that defers each build to first use. */
export const lazySerializers: SerializerFactory = (externalSchemas, options) => {
  const compile = eager(externalSchemas, options)
  // Kept by what the shared schemas, options and route schema say, as validators are (see
  // validation.ts): each app gets its own copies of the same schemas, and building the same
  // serializer again for every app of a process was most of what the first answers cost.
  // Read at the first answer, not while the app starts.
  let shared: number | undefined
  const sharedKey = (): number => {
    if (shared !== undefined) return shared
    const json = JSON.stringify([externalSchemas, options])
    shared = sharedKeys.get(json)
    if (shared === undefined) sharedKeys.set(json, (shared = sharedKeys.size))
    return shared
  }
  return (route) => {
    let serialize: ((doc: unknown) => string) | undefined
    return (doc: unknown) => {
      if (serialize === undefined) {
        const key = `${String(sharedKey())}\0${JSON.stringify(route.schema)}`
        serialize = built.get(key)
        if (serialize === undefined) built.set(key, (serialize = compile(route)))
      }
      return serialize(doc)
    }
  }
}

const built = new Map<string, (doc: unknown) => string>()
/** Each distinct set of shared schemas and options, by a short number for the keys above. */
const sharedKeys = new Map<string, number>()
