/**
 * The typed API over the app's own HTTP layer, in-process: what the assistant's tools use inside
 * the daemon. Each request is injected with the caller's own `Authorization` header, so it meets
 * the same Host, auth and scope checks, validation and handlers as one from outside.
 */
import type { FastifyInstance } from 'fastify'
import { ApiError, DaybookApi, encodeQuery } from '../client/api.ts'

/** A `DaybookApi` whose requests are `app.inject`ed with `authorization`. */
export function injectedApi(app: FastifyInstance, authorization: string | undefined): DaybookApi {
  return new DaybookApi({
    transport: async (method, path, options) => {
      const query = options.query ? encodeQuery(options.query) : ''
      const res = await app.inject({
        method: method as 'GET',
        url: query === '' ? path : `${path}?${query}`,
        headers: {
          ...(authorization === undefined ? {} : { authorization }),
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(options.body === undefined ? {} : { payload: JSON.stringify(options.body) }),
      })
      const parsed: unknown = res.body === '' ? undefined : JSON.parse(res.body)
      if (res.statusCode >= 400) {
        const e = (parsed ?? {}) as { code?: string; message?: string; field?: string }
        throw new ApiError(
          res.statusCode,
          e.code ?? 'http_error',
          e.message ?? `HTTP ${res.statusCode}`,
          e.field,
        )
      }
      return parsed
    },
  })
}
