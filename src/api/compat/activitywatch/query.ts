/**
 * `POST /api/0/query/`: `{"timeperiods": ["<start>/<end>", …], "query": ["statement;", …]}` runs
 * the query once per period (statements joined by newlines, as aw-server-rust joins them) and
 * answers one result per period. Any problem with the request or the query is a 400
 * `{"message"}` naming it and where it is.
 */
import { isJsonObject } from '../../../domain/activitywatch/json.ts'
import {
  type QuerySource,
  compileQuery,
  resultWire,
  runQuery,
} from '../../../domain/activitywatch/query/evaluate.ts'
import { QueryError } from '../../../domain/activitywatch/query/parse.ts'
import { parseTimeInterval } from '../../../domain/activitywatch/time.ts'
import type { ActivityWatchService } from '../../../services/activitywatch.ts'

/** Runs a query request; resolves to the wire value of the answer (one result per period). */
export async function runQueryRequest(
  body: unknown,
  service: ActivityWatchService,
): Promise<unknown[]> {
  if (!isJsonObject(body)) {
    throw new QueryError('InvalidRequest', 'the body is {"timeperiods": [...], "query": [...]}')
  }
  const { timeperiods, query } = body
  if (!Array.isArray(timeperiods) || !timeperiods.every((p) => typeof p === 'string')) {
    throw new QueryError('InvalidRequest', 'timeperiods is not a list of "<start>/<end>" strings')
  }
  const statements =
    typeof query === 'string'
      ? [query]
      : Array.isArray(query) && query.every((q) => typeof q === 'string')
        ? query
        : undefined
  if (statements === undefined) {
    throw new QueryError('InvalidRequest', 'query is not a list of strings')
  }
  const periods = timeperiods.map((p, i) => {
    const ti = parseTimeInterval(p)
    if (!ti) {
      throw new QueryError(
        'TimeIntervalError',
        `timeperiods[${i}] ${JSON.stringify(p)} is not "<start>/<end>" in RFC 3339`,
      )
    }
    return ti
  })
  const program = compileQuery(statements.join('\n'))
  // Buckets are listed once per request; events are read per period and bucket.
  let buckets: Promise<{ id: string; hostname: string }[]> | undefined
  const source: QuerySource = {
    buckets: () => (buckets ??= service.buckets()),
    events: async (id, start, end) => service.events(id, { start, end }),
  }
  const results: unknown[] = []
  for (const period of periods) results.push(resultWire(await runQuery(program, period, source)))
  return results
}
