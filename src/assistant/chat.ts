/**
 * The OpenAI-compatible chat over the person's own data. Daybook forwards the conversation to the
 * configured model server and offers the model the assistant's tools as OpenAI function tools
 * (the same definitions the MCP server serves); when the model calls them, Daybook runs them with
 * the caller's token, feeds the results back and asks again, for at most `MAX_ROUNDS` requests,
 * the last without tools so that it answers. A client that sends its own `tools` is forwarded
 * unchanged (it runs its own tools).
 */
import { randomUUID } from 'node:crypto'
import * as z from 'zod'
import { Temporal } from 'temporal-polyfill'
import { BadGatewayError, BadRequestError } from '../domain/errors.ts'
import { type ToolContext, localTime, where } from './context.ts'
import { LLM_ENV, type LlmTarget } from './llm-config.ts'
import { TOOLS, runTool } from './tools.ts'
import { UpstreamRequest } from './upstream.ts'

/** Upstream requests per chat completion, tool rounds included. */
const MAX_ROUNDS = 8

/** Model names that mean "the configured model" (`local` is skill-daemon's example name). */
const ALIASES = new Set(['', 'daybook', 'local'])

type Message = Record<string, unknown> & { role: string }
interface ToolCall {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
}
interface Usage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
}
interface Completion {
  id?: string
  model?: string
  choices?: {
    index?: number
    finish_reason?: string | null
    message?: Message & { tool_calls?: ToolCall[] }
  }[]
  usage?: Partial<Usage>
}
interface Chunk {
  model?: string
  choices?: {
    delta?: {
      content?: string | null
      tool_calls?: {
        index: number
        id?: string
        function?: { name?: string; arguments?: string }
      }[]
    }
    finish_reason?: string | null
  }[]
  usage?: Partial<Usage> | null
}

/** The tools as OpenAI function tools: the MCP input schemas, as JSON Schema. */
const FUNCTION_TOOLS = TOOLS.map((tool) => {
  const parameters: Record<string, unknown> = {
    ...z.toJSONSchema(z.object(tool.input), { io: 'input' }),
  }
  delete parameters.$schema
  return {
    type: 'function' as const,
    function: {
      name: tool.name,
      description: `${tool.title}. ${tool.description}`,
      parameters,
    },
  }
})

/** Runs one function call of the model; the answer (or the failure) as the tool message's text. */
async function callFunction(call: ToolCall, ctx: ToolContext): Promise<string> {
  const tool = TOOLS.find((t) => t.name === call.function.name)
  if (!tool) return `Error: there is no tool named ${call.function.name}`
  let raw: unknown
  try {
    raw = call.function.arguments.trim() === '' ? {} : JSON.parse(call.function.arguments)
  } catch {
    return 'Error: the arguments are not JSON'
  }
  const parsed = z.object(tool.input).safeParse(raw)
  if (!parsed.success) return `Error: invalid arguments: ${z.prettifyError(parsed.error)}`
  const outcome = await runTool(tool, parsed.data, ctx)
  return outcome.ok
    ? `${outcome.text}\n\n${JSON.stringify(outcome.data)}`
    : `Error: ${outcome.error}`
}

/** The model a request goes to: the configured one for `daybook`, `local` or none. */
function modelFor(requested: unknown, target: LlmTarget): string {
  const name = typeof requested === 'string' ? requested.trim() : ''
  if (!ALIASES.has(name)) return name
  if (target.model !== null) return target.model
  throw new BadRequestError(
    'model_required',
    `no model is configured: set model (POST /v1/settings/llm-config) or ${LLM_ENV.model}, ` +
      'or name one of GET /v1/models',
    'model',
  )
}

/** What the model is told first: what Daybook is, the time and zone, and to use the tools. */
async function groundingMessage(ctx: ToolContext): Promise<Message> {
  const now = ctx.now()
  let zoneNote: string
  try {
    const { zone } = await where(ctx)
    const weekday = Temporal.Instant.fromEpochMilliseconds(now)
      .toZonedDateTimeISO(zone)
      .toLocaleString('en', { weekday: 'long' })
    zoneNote = `It is now ${localTime(now, zone)} (${weekday}) in the person's time zone, ${zone}.`
  } catch {
    zoneNote = `It is now ${new Date(now).toISOString()}.`
  }
  return {
    role: 'system',
    content:
      "You answer questions about the person's own activity as Daybook recorded it on their " +
      'machine: projects, branches, apps, files, websites, labels and time away from the ' +
      'keyboard. Use the tools for every number and never guess one; call get_capabilities ' +
      'when unsure what is recorded. Times are active time: overlapping activity counted once, ' +
      `time away left out. Say durations in hours and minutes. ${zoneNote}`,
  }
}

function addUsage(sum: Usage, u: Partial<Usage> | null | undefined): void {
  if (!u) return
  sum.prompt_tokens += u.prompt_tokens ?? 0
  sum.completion_tokens += u.completion_tokens ?? 0
  sum.total_tokens += u.total_tokens ?? (u.prompt_tokens ?? 0) + (u.completion_tokens ?? 0)
}

export interface ChatRun {
  target: LlmTarget
  timeoutMs: number
  /** Aborted when the client goes away or calls abort-stream. */
  signal: AbortSignal
  ctx: ToolContext
}

/** An OpenAI chat body; its `messages` are checked by the route's schema. */
export type ChatBody = Record<string, unknown> & { messages: Message[] }

function request(run: ChatRun): UpstreamRequest {
  return new UpstreamRequest(run.target, run.timeoutMs, run.signal)
}

/** True when the client brought its own tools: then the request is forwarded as it is. */
function passesThrough(body: ChatBody): boolean {
  return Array.isArray(body.tools) && body.tools.length > 0
}

/** A non-streamed completion. */
export async function complete(body: ChatBody, run: ChatRun): Promise<unknown> {
  const model = modelFor(body.model, run.target)
  if (passesThrough(body)) {
    return request(run).json('/chat/completions', { ...body, model, stream: false })
  }
  const messages: Message[] = [await groundingMessage(run.ctx), ...body.messages]
  const usage: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }
  for (let round = 1; ; round++) {
    const offerTools = round < MAX_ROUNDS
    const res = await request(run).json<Completion>('/chat/completions', {
      ...body,
      model,
      messages,
      stream: false,
      ...(offerTools ? { tools: FUNCTION_TOOLS, tool_choice: 'auto' } : {}),
    })
    addUsage(usage, res.usage)
    const message = res.choices?.[0]?.message
    if (!message) {
      throw new BadGatewayError('upstream_invalid', 'the model server answered without a choice')
    }
    const calls = message.tool_calls ?? []
    if (!offerTools || calls.length === 0) return { ...res, usage }
    messages.push({ role: 'assistant', content: message.content ?? null, tool_calls: calls })
    for (const call of calls) {
      messages.push({
        role: 'tool',
        tool_call_id: call.id,
        content: await callFunction(call, run.ctx),
      })
    }
  }
}

/**
 * A streamed completion: `send` receives each `data:` payload for the client (chunks in
 * OpenAI's format, then `[DONE]`). The first call to `send` comes only after the model server
 * has accepted the first request, so a failure before it can still be an HTTP error.
 */
export async function stream(
  body: ChatBody,
  run: ChatRun,
  send: (data: string) => void,
): Promise<void> {
  const model = modelFor(body.model, run.target)
  if (passesThrough(body)) {
    const upstream = request(run)
    const res = await upstream.send('/chat/completions', { ...body, model, stream: true })
    for await (const data of upstream.events(res)) {
      if (data === '[DONE]') break
      send(data)
    }
    send('[DONE]')
    return
  }
  const id = `chatcmpl-${randomUUID()}`
  const created = Math.floor(run.ctx.now() / 1000)
  let sentModel = model
  let started = false
  const chunk = (delta: Record<string, unknown>, finish: string | null) => {
    if (!started) {
      started = true
      chunk({ role: 'assistant', content: '' }, null)
    }
    send(
      JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model: sentModel,
        choices: [{ index: 0, delta, finish_reason: finish }],
      }),
    )
  }
  const messages: Message[] = [await groundingMessage(run.ctx), ...body.messages]
  for (let round = 1; ; round++) {
    const offerTools = round < MAX_ROUNDS
    const upstream = request(run)
    const res = await upstream.send('/chat/completions', {
      ...body,
      model,
      messages,
      stream: true,
      ...(offerTools ? { tools: FUNCTION_TOOLS, tool_choice: 'auto' } : {}),
    })
    const calls: ToolCall[] = []
    let content = ''
    let finish: string | null = null
    for await (const data of upstream.events(res)) {
      if (data === '[DONE]') break
      let parsed: Chunk
      try {
        parsed = JSON.parse(data) as Chunk
      } catch {
        continue
      }
      if (parsed.model) sentModel = parsed.model
      const choice = parsed.choices?.[0]
      const delta = choice?.delta
      if (delta?.content) {
        content += delta.content
        chunk({ content: delta.content }, null)
      }
      for (const part of delta?.tool_calls ?? []) {
        const call = (calls[part.index] ??= {
          id: part.id ?? `call_${part.index}`,
          type: 'function',
          function: { name: '', arguments: '' },
        })
        if (part.id) call.id = part.id
        call.function.name += part.function?.name ?? ''
        call.function.arguments += part.function?.arguments ?? ''
      }
      if (choice?.finish_reason) finish = choice.finish_reason
    }
    const wanted = calls.filter((c) => c !== undefined)
    if (!offerTools || wanted.length === 0) {
      chunk({}, finish === 'tool_calls' || finish === null ? 'stop' : finish)
      send('[DONE]')
      return
    }
    messages.push({
      role: 'assistant',
      content: content === '' ? null : content,
      tool_calls: wanted,
    })
    for (const call of wanted) {
      messages.push({
        role: 'tool',
        tool_call_id: call.id,
        content: await callFunction(call, run.ctx),
      })
    }
  }
}

/** The model server's models (`GET /models`), OpenAI's list shape. */
export async function listModels(run: Omit<ChatRun, 'ctx'>): Promise<{ id: string }[]> {
  const res = await new UpstreamRequest(run.target, run.timeoutMs, run.signal).json<{
    data?: { id?: unknown }[]
  }>('/models')
  return (res.data ?? []).flatMap((m) => (typeof m.id === 'string' ? [{ ...m, id: m.id }] : []))
}
