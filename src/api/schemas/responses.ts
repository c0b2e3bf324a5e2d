/**
 * Error responses for route schemas, so the API document lists what each route can answer.
 */
import { Type } from '#typebox'

const ErrorRef = Type.Ref('Error')

/** `{400: Error, 401: Error, …}` for the given statuses. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorRef> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorRef]))
}
