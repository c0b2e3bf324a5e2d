/**
 * Requests to the model server the person configured (any OpenAI-compatible server: Ollama,
 * llama.cpp's server, LM Studio, vLLM, a hosted API), with its failures in words that name the
 * server and what to change: unreachable and refused are 502, too slow is 504.
 *
 * The API key goes only into the `Authorization` header of these requests: no message, log
 * line or error built here contains it.
 */
import { EventSourceParserStream } from 'eventsource-parser/stream'
import {
  BadGatewayError,
  BadRequestError,
  ConflictError,
  GatewayTimeoutError,
} from '../domain/errors.ts'
import { LLM_ENV, type LlmTarget } from './llm-config.ts'

/** How long the model server may stay silent: until its answer, or between streamed chunks. */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 5 * 60_000

/** The generation was stopped by its caller (the client went away, or abort-stream). */
class GenerationAborted extends ConflictError {
  constructor() {
    super('generation_aborted', 'the generation was stopped (POST /v1/llm/abort-stream)')
  }
}

/** One request to the model server, with its own timer and the caller's abort signal. */
export class UpstreamRequest {
  readonly #target: LlmTarget
  readonly #timeoutMs: number
  readonly #outer: AbortSignal
  readonly #controller = new AbortController()
  #timer: NodeJS.Timeout | undefined
  #timedOut = false
  readonly #onOuterAbort = () => this.#controller.abort()

  constructor(target: LlmTarget, timeoutMs: number, outer: AbortSignal) {
    this.#target = target
    this.#timeoutMs = timeoutMs
    this.#outer = outer
  }

  /** `host:port` of the model server, for messages. */
  get host(): string {
    return new URL(this.#target.baseUrl).host
  }

  /** Restarts the silence timer (each streamed chunk shows the server is working). */
  touch(): void {
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timedOut = true
      this.#controller.abort()
    }, this.#timeoutMs)
  }

  /**
   * Stops the timer and the request (its body, if still being read). Every way a request ends
   * comes here: a timer left behind would keep the daemon's process alive for the rest of its five
   * minutes after a clean stop.
   */
  close(): void {
    clearTimeout(this.#timer)
    this.#outer.removeEventListener('abort', this.#onOuterAbort)
    this.#controller.abort()
  }

  /**
   * Sends `GET` (no body) or `POST` (JSON) to `path` under the base URL; resolves to the 2xx
   * response, whose body the caller reads. Anything else is a typed error.
   */
  async send(path: string, body?: unknown): Promise<Response> {
    this.#outer.addEventListener('abort', this.#onOuterAbort, { once: true })
    if (this.#outer.aborted) this.#controller.abort()
    this.touch()
    const headers: Record<string, string> = { accept: 'application/json, text/event-stream' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (this.#target.apiKey !== null) headers.authorization = `Bearer ${this.#target.apiKey}`
    let res: Response
    try {
      res = await fetch(`${this.#target.baseUrl}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: this.#controller.signal,
      })
    } catch (err) {
      // No answer at all (unreachable, stopped by the caller, too slow): nothing is left to read.
      this.close()
      throw this.failure(err)
    }
    if (res.ok) return res
    const text = await res.text().catch(() => '')
    this.close()
    throw this.#refusal(res.status, text)
  }

  /** Sends and reads a JSON answer. */
  async json<T>(path: string, body?: unknown): Promise<T> {
    const res = await this.send(path, body)
    try {
      return (await res.json()) as T
    } catch (err) {
      if (this.#controller.signal.aborted) throw this.failure(err)
      throw new BadGatewayError(
        'upstream_invalid',
        `the model server at ${this.host} did not answer with JSON`,
      )
    } finally {
      this.close()
    }
  }

  /** The `data:` payloads of a streamed answer, as they arrive (each one restarts the timer). */
  async *events(res: Response): AsyncGenerator<string> {
    try {
      if (!res.body) return
      const stream = res.body
        .pipeThrough(new TextDecoderStream())
        .pipeThrough(new EventSourceParserStream())
      for await (const event of stream) {
        this.touch()
        yield event.data
      }
    } catch (err) {
      throw this.failure(err)
    } finally {
      this.close()
    }
  }

  /** What a failed or interrupted request means to the caller. */
  failure(err: unknown): Error {
    if (this.#outer.aborted) return new GenerationAborted()
    if (this.#timedOut) {
      return new GatewayTimeoutError(
        'upstream_timeout',
        `the model server at ${this.host} did not answer within ${Math.round(this.#timeoutMs / 1000)} s`,
      )
    }
    // Only the error's code: a message could quote a header, and a header holds the key.
    const code = (err as { cause?: { code?: string } }).cause?.code ?? 'network error'
    return new BadGatewayError(
      'upstream_unreachable',
      `cannot reach the model server at ${this.host} (${code}); is it running? It is set by ` +
        `baseUrl (POST /v1/settings/llm-config) or ${LLM_ENV.baseUrl}`,
    )
  }

  #refusal(status: number, text: string): Error {
    let message = text.slice(0, 300)
    try {
      const parsed = JSON.parse(text) as { error?: { message?: string } | string; message?: string }
      const e = parsed.error
      message = (typeof e === 'string' ? e : e?.message) ?? parsed.message ?? message
    } catch {
      // not JSON: the text as it came
    }
    if (status === 401 || status === 403) {
      return new BadGatewayError(
        'upstream_refused',
        `the model server at ${this.host} refused Daybook's key (${status}); set apiKey ` +
          `(POST /v1/settings/llm-config) or ${LLM_ENV.apiKey}`,
      )
    }
    if (status >= 400 && status < 500) {
      return new BadRequestError(
        'upstream_rejected',
        `the model server at ${this.host} answered ${status}: ${message}`,
      )
    }
    return new BadGatewayError(
      'upstream_error',
      `the model server at ${this.host} answered ${status}: ${message}`,
    )
  }
}
