/**
 * The OpenAI-compatible chat: `POST /v1/chat/completions` (and skill-daemon's
 * `POST /v1/llm/chat-completions`, which also takes `{"messages","params"}`), `GET /v1/models`,
 * `POST /v1/llm/abort-stream`, `GET /v1/llm/server/status`, and the model server's settings
 * `GET/POST /v1/settings/llm-config`. Base URL `http://127.0.0.1:5610/v1`, API key = a Daybook
 * token: any OpenAI client works unchanged. The chat routes answer errors in OpenAI's shape.
 */
import { requireOwnerDiary } from '../users.ts'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { PassThrough } from 'node:stream'
import { Type } from '#typebox'
import { LLM_ENV, LlmConfig, type LlmSettings, type LlmTarget } from '../../assistant/llm-config.ts'
import { DEFAULT_UPSTREAM_TIMEOUT_MS } from '../../assistant/upstream.ts'
import { NotReadyError } from '../../domain/errors.ts'
import { toErrorResponse, toOpenAIResponse } from '../errors.ts'
import { injectedApi } from '../../assistant/injected-api.ts'
import { Nullable } from '../schemas/common.ts'
import { errorResponses } from '../schemas/responses.ts'

export interface ChatOptions {
  /** Where `POST /v1/settings/llm-config` keeps its settings (mode 0600); in memory without. */
  configFile?: string | undefined
  /** The model server the environment names (`DAYBOOK_LLM_*`, read by the configuration). */
  environment?: LlmSettings | undefined
  /** How long the model server may stay silent (default 5 minutes). */
  timeoutMs?: number | undefined
}

/** The engine (zod and the tools) is loaded with the first chat, not with the daemon. */
const loadEngine = () => import('../../assistant/chat.ts')

const OpenAIError = Type.Object(
  {
    error: Type.Object({
      message: Type.String(),
      type: Type.String(),
      param: Nullable(Type.String()),
      code: Type.String(),
    }),
  },
  { description: "OpenAI's error shape." },
)
const openAIErrors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, OpenAIError]))

const Message = Type.Object(
  { role: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: true, description: 'An OpenAI chat message.' },
)
const Messages = Type.Array(Message, { minItems: 1, maxItems: 10_000 })

const ChatBody = Type.Object(
  {
    model: Type.Optional(
      Type.String({
        maxLength: 256,
        description: '`daybook` (or `local`, or none): the configured model; else passed on.',
      }),
    ),
    messages: Messages,
    stream: Type.Optional(Type.Boolean()),
    tools: Type.Optional(
      Type.Array(Type.Object({}, { additionalProperties: true }), {
        description: "The client's own tools: the request is then forwarded unchanged.",
      }),
    ),
  },
  {
    additionalProperties: true,
    description: "OpenAI's chat completion request; other fields go to the model server as sent.",
  },
)

const SkillDaemonBody = Type.Union([
  ChatBody,
  Type.Object(
    {
      messages: Messages,
      params: Type.Optional(Type.Object({}, { additionalProperties: true })),
    },
    { additionalProperties: false, description: 'skill-daemon: `{"messages","params"}`.' },
  ),
])

const Completion = Type.Unknown({
  description:
    "OpenAI's `chat.completion` object; with `stream: true`, server-sent `chat.completion.chunk` " +
    'events ending with `data: [DONE]`.',
})

const ModelList = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(
    Type.Object(
      {
        id: Type.String(),
        object: Type.String(),
        created: Type.Integer(),
        owned_by: Type.String(),
      },
      { additionalProperties: true },
    ),
  ),
})

const LlmConfigView = Type.Object({
  baseUrl: Nullable(Type.String()),
  model: Nullable(Type.String()),
  apiKeySet: Type.Boolean({ description: 'Whether a key is set; the key itself is never shown.' }),
  source: Type.Object({
    baseUrl: Nullable(Type.String({ description: 'settings, environment, or null (unset).' })),
    model: Nullable(Type.String()),
    apiKey: Nullable(Type.String()),
  }),
})

const LlmConfigChange = Type.Object(
  {
    baseUrl: Type.Optional(Nullable(Type.String({ maxLength: 2048 }))),
    model: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
    apiKey: Type.Optional(Nullable(Type.String({ maxLength: 4096 }))),
  },
  {
    additionalProperties: false,
    description: 'Keys given replace their value; null removes it (the environment then applies).',
  },
)

export const chatRoutes: FastifyPluginAsyncTypebox<ChatOptions> = async (app, options) => {
  const config = new LlmConfig({ file: options.configFile, environment: options.environment })
  const timeoutMs = options.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS
  /** Generations in flight, by the token that started them: abort-stream stops its own. */
  const running = new Map<string, Set<AbortController>>()

  const target = (): LlmTarget => {
    const t = config.target()
    if (!t) {
      throw new NotReadyError(
        'llm_not_configured',
        'no model server is configured: set baseUrl (and model) with POST ' +
          `/v1/settings/llm-config, or ${LLM_ENV.baseUrl}, ${LLM_ENV.model} and ` +
          `${LLM_ENV.apiKey}; any OpenAI-compatible server works (Ollama: http://127.0.0.1:11434/v1)`,
      )
    }
    return t
  }

  const openai = { access: 'analysis', wire: 'openai' } as const

  async function chat(
    request: FastifyRequest,
    reply: FastifyReply,
    body: Record<string, unknown> & { messages: Record<string, unknown>[] },
  ) {
    const engine = await loadEngine()
    const controller = new AbortController()
    const run = {
      target: target(),
      timeoutMs,
      signal: controller.signal,
      ctx: {
        api: injectedApi(app, request.headers.authorization),
        now: request.daybook.clock,
        scope: request.principal?.scope,
      },
    }
    const owner = request.principal?.tokenId ?? ''
    let mine = running.get(owner)
    if (!mine) running.set(owner, (mine = new Set()))
    mine.add(controller)
    // A client that goes away stops the model server's work too.
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) controller.abort()
    })
    const chatBody = body as Parameters<typeof engine.complete>[0]
    try {
      if (body.stream !== true) return await engine.complete(chatBody, run)
      let out: PassThrough | undefined
      const send = (data: string) => {
        if (!out) {
          out = new PassThrough()
          void reply
            .header('content-type', 'text/event-stream; charset=utf-8')
            .header('cache-control', 'no-cache')
            .header('x-accel-buffering', 'no')
            .send(out)
        }
        out.write(`data: ${data}\n\n`)
      }
      try {
        await engine.stream(chatBody, run, send)
      } catch (err) {
        if (!out) throw err
        // Already streaming: the failure is the stream's last event.
        const mapped = toOpenAIResponse(toErrorResponse(err))
        if (controller.signal.aborted && mapped.body.error.code === 'generation_aborted') {
          send('[DONE]')
        } else send(JSON.stringify(mapped.body))
      }
      out?.end()
    } finally {
      mine.delete(controller)
      if (mine.size === 0) running.delete(owner)
    }
    return reply
  }

  app.post(
    '/chat/completions',
    {
      config: openai,
      bodyLimit: 8 * 1024 * 1024,
      schema: {
        summary: 'Chat completion over your own activity (OpenAI-compatible)',
        description:
          "Forwarded to the configured model server with Daybook's tools offered as function " +
          "tools; Daybook runs the calls with this token's scope and returns the final answer. " +
          'A request with its own `tools` is forwarded unchanged. `stream: true` answers ' +
          'server-sent `chat.completion.chunk` events ending with `data: [DONE]`.',
        tags: ['chat'],
        body: ChatBody,
        response: {
          200: Completion,
          ...openAIErrors(400, 401, 403, 409, 413, 415, 422, 502, 503, 504),
        },
      },
    },
    async (request, reply) => chat(request, reply, request.body),
  )

  app.post(
    '/llm/chat-completions',
    {
      config: openai,
      bodyLimit: 8 * 1024 * 1024,
      schema: {
        summary: 'The same chat at skill-daemon\'s path, also taking {"messages","params"}',
        tags: ['chat'],
        body: SkillDaemonBody,
        response: {
          200: Completion,
          ...openAIErrors(400, 401, 403, 409, 413, 415, 422, 502, 503, 504),
        },
      },
    },
    async (request, reply) => {
      const { params, ...rest } = request.body as Record<string, unknown> & {
        messages: Record<string, unknown>[]
        params?: Record<string, unknown>
      }
      return chat(request, reply, { ...(params ?? {}), ...rest })
    },
  )

  app.get(
    '/models',
    {
      config: { access: 'read', wire: 'openai' },
      schema: {
        summary: "The model server's models, after `daybook` (the configured one)",
        tags: ['chat'],
        response: { 200: ModelList, ...openAIErrors(401, 403, 502, 503, 504) },
      },
    },
    async (request, reply) => {
      const t = target()
      const controller = new AbortController()
      reply.raw.on('close', () => controller.abort())
      const { listModels } = await loadEngine()
      const models = await listModels({ target: t, timeoutMs, signal: controller.signal })
      const entry = (id: string, owner: string) => ({
        id,
        object: 'model',
        created: 0,
        owned_by: owner,
      })
      return {
        object: 'list' as const,
        data: [
          ...(t.model === null ? [] : [entry('daybook', 'daybook')]),
          ...models.map((m) => ({ ...entry(m.id, 'upstream'), ...m })),
        ],
      }
    },
  )

  app.post(
    '/llm/abort-stream',
    {
      config: openai,
      schema: {
        summary: "Stop this token's generations in flight (the model server's requests too)",
        tags: ['chat'],
        response: {
          200: Type.Object({ aborted: Type.Integer() }),
          ...openAIErrors(401, 403),
        },
      },
    },
    async (request) => {
      const mine = running.get(request.principal?.tokenId ?? '')
      const aborted = mine?.size ?? 0
      for (const c of mine ?? []) c.abort()
      return { aborted }
    },
  )

  app.get(
    '/llm/server/status',
    {
      config: { access: 'read', wire: 'openai' },
      schema: {
        summary: 'The configured model server: reachable or not, and its models',
        tags: ['chat'],
        response: {
          200: Type.Object({
            configured: Type.Boolean(),
            baseUrl: Nullable(Type.String()),
            model: Nullable(Type.String()),
            reachable: Nullable(Type.Boolean()),
            models: Type.Array(Type.String()),
            error: Nullable(Type.String()),
          }),
          ...openAIErrors(401, 403, 503),
        },
      },
    },
    async () => {
      const t = config.target()
      if (!t) {
        return {
          configured: false,
          baseUrl: null,
          model: null,
          reachable: null,
          models: [],
          error: null,
        }
      }
      const { listModels } = await loadEngine()
      try {
        const models = await listModels({
          target: t,
          timeoutMs: Math.min(timeoutMs, 10_000),
          signal: new AbortController().signal,
        })
        return {
          configured: true,
          baseUrl: t.baseUrl,
          model: t.model,
          reachable: true,
          models: models.map((m) => m.id),
          error: null,
        }
      } catch (err) {
        return {
          configured: true,
          baseUrl: t.baseUrl,
          model: t.model,
          reachable: false,
          models: [],
          error: (err as Error).message,
        }
      }
    },
  )

  app.get(
    '/settings/llm-config',
    {
      config: { access: 'read' },
      schema: {
        summary: 'The model server the chat forwards to (the API key is never shown)',
        tags: ['chat', 'settings'],
        response: { 200: LlmConfigView, ...errorResponses(401, 403, 503) },
      },
    },
    async () => config.view(),
  )

  app.post(
    '/settings/llm-config',
    {
      config: { access: 'admin' },
      bodyLimit: 16 * 1024,
      schema: {
        summary: 'Set the model server: {"baseUrl","model","apiKey"} (kept 0600; key never shown)',
        tags: ['chat', 'settings'],
        body: LlmConfigChange,
        response: { 200: LlmConfigView, ...errorResponses(400, 401, 403, 415, 422) },
      },
    },
    async (request) => {
      requireOwnerDiary(request.daybook, app.daybook, 'setting the model server')
      return config.update(request.body)
    },
  )
}
