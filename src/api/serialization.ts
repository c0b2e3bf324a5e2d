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
  return (route) => {
    let serialize: ((doc: unknown) => string) | undefined
    return (doc: unknown) => (serialize ??= compile(route))(doc)
  }
}
