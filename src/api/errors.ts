/**
 * The one place where errors become HTTP responses. Every error body is
 * `{"code","message"[,"field"]}`; 5xx bodies never carry internals, which go to the log instead.
 *
 * Two deliberate exceptions: routes of the frames wire (`config.wire: 'frames'`) answer
 * `{"error": code}`, the body the frames clients know, and the OpenAI-compatible routes
 * (`config.wire: 'openai'`) OpenAI's `{"error":{"message","type","param","code"}}`, both from the
 * same mapping (`toFramesResponse`, `toOpenAIResponse`).
 */
import type {
  FastifyBaseLogger,
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
} from 'fastify'
import {
  BadGatewayError,
  BadRequestError,
  ConflictError,
  DaybookError,
  ForbiddenError,
  GatewayTimeoutError,
  GoneError,
  InsufficientStorageError,
  MisdirectedError,
  NotFoundError,
  NotReadyError,
  StoreTimeoutError,
  StoreUnavailableError,
  PayloadTooLargeError,
  RateLimitedError,
  RequestTimeoutError,
  UnauthorizedError,
  UnprocessableError,
} from '../domain/errors.ts'
import { describeValidation, type RequestPart } from './validation.ts'

const STATUS = new Map<new (...args: never[]) => DaybookError, number>([
  [BadRequestError, 400],
  [UnauthorizedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [RequestTimeoutError, 408],
  [ConflictError, 409],
  [GoneError, 410],
  [PayloadTooLargeError, 413],
  [MisdirectedError, 421],
  [UnprocessableError, 422],
  [RateLimitedError, 429],
  [NotReadyError, 503],
  [StoreUnavailableError, 503],
  [StoreTimeoutError, 503],
  [InsufficientStorageError, 507],
  [BadGatewayError, 502],
  [GatewayTimeoutError, 504],
])

export interface ErrorResponse {
  status: number
  body: { code: string; message: string; field?: string }
  headers?: Record<string, string>
}

/** Maps any thrown value to a status and body. */
export function toErrorResponse(err: unknown): ErrorResponse {
  if (err instanceof DaybookError) {
    const status = STATUS.get(err.constructor as new () => DaybookError) ?? 400
    const body: ErrorResponse['body'] = { code: err.code, message: err.message }
    if (err.field !== undefined) body.field = err.field
    const headers =
      err instanceof RateLimitedError ||
      err instanceof StoreUnavailableError ||
      err instanceof StoreTimeoutError
        ? { 'retry-after': String(err.retryAfterSec) }
        : undefined
    return headers ? { status, body, headers } : { status, body }
  }
  const fe = err as Partial<FastifyError>
  if (fe.validation) {
    const part: RequestPart = fe.validationContext ?? 'body'
    const problem = describeValidation(fe.validation as never, part)
    // A batch over its item cap is "too large", not "malformed".
    if (part === 'body' && problem.keyword === 'maxItems' && problem.field === 'body') {
      return {
        status: 413,
        body: { code: 'batch_too_large', message: problem.message, field: problem.field },
      }
    }
    const status = part === 'body' ? 422 : 400
    const code =
      part === 'body' ? 'invalid_body' : part === 'params' ? 'invalid_params' : 'invalid_query'
    return { status, body: { code, message: problem.message, field: problem.field } }
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        status: 400,
        body: { code: 'invalid_json', message: `request body is not valid JSON` },
      }
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        body: {
          code: 'payload_too_large',
          message: 'request body is larger than this route accepts',
        },
      }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        body: { code: 'unsupported_media_type', message: 'send the body as application/json' },
      }
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        status: 400,
        body: { code: 'invalid_request', message: 'content-length does not match the body' },
      }
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return {
      status: fe.statusCode,
      body: { code: 'invalid_request', message: fe.message ?? 'invalid request' },
    }
  }
  return { status: 500, body: { code: 'internal', message: 'internal error; see the daemon log' } }
}

/**
 * The answer to a failure Node's HTTP server finds before any route could (its `clientError`):
 * a request that did not arrive in time (408), headers larger than it reads (431), bytes that
 * are not HTTP (400); in the body every other error has.
 */
export function clientErrorResponse(code: string | undefined): ErrorResponse {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return toErrorResponse(
        new RequestTimeoutError(
          'request_timeout',
          'the request did not arrive in time (DAYBOOK_HEADERS_TIMEOUT_SEC, DAYBOOK_REQUEST_TIMEOUT_SEC)',
        ),
      )
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        body: { code: 'headers_too_large', message: 'the request headers are too large' },
      }
    default:
      return { status: 400, body: { code: 'invalid_request', message: 'not a valid HTTP request' } }
  }
}

/** The frames wire's form of an error response: `{"error": code}`; a body it cannot read is invalid JSON. */
export interface FramesErrorResponse {
  status: number
  body: { error: string }
  headers?: Record<string, string>
}

function toFramesResponse(res: ErrorResponse): FramesErrorResponse {
  // The frames server reads bodies with `get_json(silent=True)`: a wrong content type is reported
  // exactly like malformed JSON.
  if (res.status === 415) return { status: 400, body: { error: 'invalid_json' } }
  const out: FramesErrorResponse = { status: res.status, body: { error: res.body.code } }
  if (res.headers) out.headers = res.headers
  return out
}

/** OpenAI's error body, `{"error":{"message","type","param","code"}}`: what OpenAI clients read. */
export interface OpenAIErrorResponse {
  status: number
  body: { error: { message: string; type: string; param: string | null; code: string } }
  headers?: Record<string, string>
}

/** The OpenAI-compatible routes' form of an error response (the same status and code). */
export function toOpenAIResponse(res: ErrorResponse): OpenAIErrorResponse {
  const type =
    res.status === 401
      ? 'authentication_error'
      : res.status === 403
        ? 'permission_error'
        : res.status === 429
          ? 'rate_limit_error'
          : res.status >= 500
            ? 'server_error'
            : 'invalid_request_error'
  const out: OpenAIErrorResponse = {
    status: res.status,
    body: {
      error: {
        message: res.body.message,
        type,
        param: res.body.field ?? null,
        code: res.body.code,
      },
    },
  }
  if (res.headers) out.headers = res.headers
  return out
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MB`
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KB`
  return `${n} bytes`
}

/** Failures of the disk under the database: logged once a minute, however many requests meet them. */
const STORAGE_CODES = new Set(['disk_full', 'storage_error'])
const storageLog = { lastMs: -Infinity, suppressed: 0 }

/**
 * Logs a failure answered with `status`: 5xx only. A full disk is logged once a minute with the
 * count of failures since (collectors retrying every few seconds must not fill what is left of
 * the disk with log lines); a refusal of the connection reserve is not logged (a flood would be
 * logged line by line); anything else, each time.
 */
export function logFailure(log: FastifyBaseLogger, err: unknown, status: number): void {
  if (status < 500) return
  const code = err instanceof DaybookError ? err.code : undefined
  if (code === 'connection_slots_full') return
  if (code !== undefined && STORAGE_CODES.has(code)) {
    const now = Date.now()
    if (now - storageLog.lastMs < 60_000) {
      storageLog.suppressed++
      return
    }
    log.error(
      { code, failedSinceLastLog: storageLog.suppressed },
      `writes fail: ${(err as Error).message}`,
    )
    storageLog.lastMs = now
    storageLog.suppressed = 0
    return
  }
  log.error({ err }, 'request failed')
}

/** Installs the error and not-found handlers on an app. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    let mapped = toErrorResponse(err)
    if (mapped.body.code === 'payload_too_large' && request.routeOptions.bodyLimit !== undefined) {
      mapped = {
        ...mapped,
        body: {
          ...mapped.body,
          message: `request body is larger than the ${formatBytes(request.routeOptions.bodyLimit)} this route accepts`,
        },
      }
    }
    const wire = request.is404 ? undefined : request.routeOptions.config.wire
    const res =
      wire === 'frames'
        ? toFramesResponse(mapped)
        : wire === 'openai'
          ? toOpenAIResponse(mapped)
          : mapped
    logFailure(request.log, err, res.status)
    if (res.headers) void reply.headers(res.headers)
    return reply.code(res.status).send(res.body)
  })
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      code: 'not_found',
      message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}`,
    }),
  )
}
