/**
 * Hooks (the skill-daemon's §4.11 routes, admin only): `GET/POST /v1/hooks` (the rules, replaced
 * as a whole), `GET /v1/hooks/statuses`, `POST /v1/hooks/log`, `GET /v1/hooks/log-count`,
 * `POST /v1/hooks/suggest-keywords`, `POST /v1/hooks/suggest-distances`, `POST /v1/hooks/:id/test`
 * (Daybook's: the actions once, with a sample payload), and `GET/POST /v1/settings/dnd/config`.
 * Rules hold webhook secrets and commands: every route here is admin, reads included.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyError } from 'fastify'
import { Type } from '#typebox'
import { parseTimestamp } from '../../domain/calendar.ts'
import { ALL_DAYS } from '../../domain/hooks/dnd.ts'
import { UnprocessableError } from '../../domain/errors.ts'
import { checkRangeOrder } from '../../domain/time.ts'
import {
  DistancesWire,
  DndBody,
  DndWire,
  HookLogEntryWire,
  HookLogQuery,
  HookRulesBody,
  HookRuleWire,
  HookStatusWire,
  KeywordWire,
  SuggestDistancesBody,
  SuggestKeywordsBody,
  dndToWire,
  logEntryToWire,
  statusToWire,
} from '../schemas/hooks.ts'
import { errorResponses } from '../schemas/responses.ts'
import { describeValidation } from '../validation.ts'

const TAGS = ['hooks']

function range(body: { start: string; end: string }): { startMs: number; endMs: number } {
  const startMs = parseTimestamp(body.start, 'body/start')
  const endMs = parseTimestamp(body.end, 'body/end')
  checkRangeOrder(startMs, endMs, { start: 'body/start', end: 'body/end' })
  return { startMs, endMs }
}

/**
 * A schema failure inside one rule, said with the rule's id (`hook "break": …`), so a client
 * that sent fifty rules knows which one to fix.
 */
function ruleProblem(error: FastifyError, body: unknown): Error {
  const problem = describeValidation((error.validation ?? []) as never, 'body')
  const index = /^body\/(\d+)(\/|$)/.exec(problem.field)?.[1]
  if (index === undefined) return error
  const rule: unknown = Array.isArray(body) ? body[Number(index)] : undefined
  const id =
    typeof rule === 'object' && rule !== null && typeof (rule as { id?: unknown }).id === 'string'
      ? JSON.stringify((rule as { id: string }).id)
      : `at ${index}`
  return new UnprocessableError('invalid_hook', `hook ${id}: ${problem.message}`, problem.field)
}

export const hookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/hooks',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'The hook rules, in order (webhook secrets included: admin only)',
        tags: TAGS,
        response: { 200: Type.Array(HookRuleWire), ...errorResponses(401, 403) },
      },
    },
    async (request) => request.daybook.hooks.rules(),
  )

  app.post(
    '/hooks',
    {
      config: { access: 'admin' },
      bodyLimit: 256 * 1024,
      attachValidation: true,
      schema: {
        summary:
          'Replace every hook rule: checked as a whole (one bad rule refuses all, naming its id and the field)',
        tags: TAGS,
        body: HookRulesBody,
        response: {
          200: Type.Array(HookRuleWire),
          ...errorResponses(400, 401, 403, 413, 415, 422),
        },
      },
    },
    async (request) => {
      if (request.validationError) {
        throw ruleProblem(request.validationError as FastifyError, request.body)
      }
      return request.daybook.hooks.replace(request.body)
    },
  )

  app.get(
    '/hooks/statuses',
    {
      config: { access: 'admin' },
      schema: {
        summary:
          'Each rule: progress ("38 of 50 minutes"), last firing, next evaluation, last error',
        tags: TAGS,
        response: { 200: Type.Array(HookStatusWire), ...errorResponses(401, 403) },
      },
    },
    async (request) => (await request.daybook.hooks.statuses()).map(statusToWire),
  )

  app.post(
    '/hooks/log',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'The firing log, newest first: payload and how each action went',
        tags: TAGS,
        body: HookLogQuery,
        response: { 200: Type.Array(HookLogEntryWire), ...errorResponses(400, 401, 403, 415, 422) },
      },
    },
    async (request) => (await request.daybook.hooks.log(request.body)).map(logEntryToWire),
  )

  app.get(
    '/hooks/log-count',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Entries in the firing log (of one rule with hookId)',
        tags: TAGS,
        querystring: Type.Object({ hookId: Type.Optional(Type.String({ maxLength: 64 })) }),
        response: {
          200: Type.Object({ count: Type.Integer() }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => ({ count: await request.daybook.hooks.logCount(request.query.hookId) }),
  )

  app.post(
    '/hooks/suggest-keywords',
    {
      config: { access: 'admin' },
      schema: {
        summary:
          'Words that took the most time in a range (titles, files, URLs, labels), for matches',
        tags: TAGS,
        body: SuggestKeywordsBody,
        response: { 200: Type.Array(KeywordWire), ...errorResponses(400, 401, 403, 415, 422) },
      },
    },
    async (request) => {
      const { startMs, endMs } = range(request.body)
      return request.daybook.hookSuggestions.keywords(startMs, endMs, request.body.limit)
    },
  )

  app.post(
    '/hooks/suggest-distances',
    {
      config: { access: 'admin' },
      schema: {
        summary:
          'Thresholds from history: matching minutes a day and the longest stretch, as percentiles',
        tags: TAGS,
        body: SuggestDistancesBody,
        response: { 200: DistancesWire, ...errorResponses(400, 401, 403, 415, 422) },
      },
    },
    async (request) => {
      const { startMs, endMs } = range(request.body)
      return request.daybook.hookSuggestions.distances(startMs, endMs, request.body.match ?? {})
    },
  )

  app.post(
    '/hooks/:id/test',
    {
      config: { access: 'admin' },
      schema: {
        summary:
          "Run a rule's actions once with a sample payload (test: true); answers its log entry",
        tags: TAGS,
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 200: HookLogEntryWire, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => logEntryToWire(await request.daybook.hooks.test(request.params.id)),
  )

  app.get(
    '/settings/dnd/config',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Do-not-disturb: quiet hours, the manual switch, and whether it is on now',
        tags: ['hooks', 'settings'],
        response: { 200: DndWire, ...errorResponses(401, 403) },
      },
    },
    async (request) => dndToWire(await request.daybook.hooks.dnd()),
  )

  app.post(
    '/settings/dnd/config',
    {
      config: { access: 'admin' },
      schema: {
        summary:
          "Change do-not-disturb (the keys given): hooks' notifications wait or are dropped while it is on",
        tags: ['hooks', 'settings'],
        body: DndBody,
        response: { 200: DndWire, ...errorResponses(400, 401, 403, 415, 422) },
      },
    },
    async (request) => {
      const { config } = await request.daybook.hooks.dnd()
      const b = request.body
      return dndToWire(
        await request.daybook.hooks.setDnd({
          enabled: b.enabled ?? config.enabled,
          untilMs:
            b.until === undefined
              ? config.untilMs
              : b.until === null
                ? null
                : parseTimestamp(b.until, 'body/until'),
          quietHours:
            b.quietHours?.map((q) => ({
              start: q.start,
              end: q.end,
              days: q.days ?? [...ALL_DAYS],
            })) ?? config.quietHours,
        }),
      )
    },
  )
}
