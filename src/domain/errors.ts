/**
 * Typed errors shared by every layer. Each carries a stable machine-readable `code`; the HTTP layer
 * maps the class to a status in exactly one place (`src/api/errors.ts`), the CLI prints `message`.
 */

/** Base class: a failure the caller caused or can act on, never an internal bug. */
export class DaybookError extends Error {
  readonly code: string
  /** JSON pointer-ish path of the offending input field, when there is one (`/0/timestamp`). */
  readonly field: string | undefined

  constructor(code: string, message: string, field?: string) {
    super(message)
    this.name = new.target.name
    this.code = code
    this.field = field
  }
}

/** The request is malformed: unparsable, wrong type, unknown value. HTTP 400. */
export class BadRequestError extends DaybookError {}

/** The request is well-formed but its content cannot be accepted (end before start…). HTTP 422. */
export class UnprocessableError extends DaybookError {}

/**
 * The request did not arrive in time: its body stopped coming (an upload idle longer than its
 * route allows) or the whole request took longer than the server's limit. HTTP 408.
 */
export class RequestTimeoutError extends DaybookError {}

/** The request body or batch is larger than allowed. HTTP 413. */
export class PayloadTooLargeError extends DaybookError {}

/** The addressed thing does not exist. HTTP 404. */
export class NotFoundError extends DaybookError {}

/** The request conflicts with current state (a cap reached, a duplicate). HTTP 409. */
export class ConflictError extends DaybookError {}

/** No valid credentials were presented. HTTP 401. */
export class UnauthorizedError extends DaybookError {}

/** Valid credentials, but not for this. HTTP 403. */
export class ForbiddenError extends DaybookError {}

/** The request was addressed to a host name this daemon does not answer for. HTTP 421. */
export class MisdirectedError extends DaybookError {}

/** Too many requests (or failed attempts) from this client; retry after the given seconds. */
export class RateLimitedError extends DaybookError {
  readonly retryAfterSec: number

  constructor(code: string, message: string, retryAfterSec: number) {
    super(code, message)
    this.retryAfterSec = retryAfterSec
  }
}

/**
 * The disk holding the data is full: nothing of the write was stored, and writes resume once
 * there is room, without a restart. HTTP 507.
 */
export class InsufficientStorageError extends DaybookError {}

/** The daemon is up but not ready to serve this (store not yet open). HTTP 503. */
export class NotReadyError extends DaybookError {}

/**
 * The database cannot be reached right now (a PostgreSQL server restarting, a network cut): nothing
 * was changed; retry after the given seconds. HTTP 503 with `Retry-After`.
 */
export class StoreUnavailableError extends NotReadyError {
  readonly retryAfterSec: number

  constructor(message: string, retryAfterSec: number) {
    super('database_unavailable', message)
    this.retryAfterSec = retryAfterSec
  }
}

/**
 * The database gave up on a statement that ran past its time limit (PostgreSQL's
 * `statement_timeout`): the transaction was rolled back, nothing was changed; retry after the given
 * seconds. HTTP 503 with `Retry-After`: a busy server, not a broken request.
 */
export class StoreTimeoutError extends DaybookError {
  readonly retryAfterSec: number

  constructor(message: string, retryAfterSec: number) {
    super('database_timeout', message)
    this.retryAfterSec = retryAfterSec
  }
}

/** Something that existed is no longer usable (a pairing code used or expired). HTTP 410. */
export class GoneError extends DaybookError {}

/** A server Daybook forwards to (the model server of the chat) failed or cannot be reached. HTTP 502. */
export class BadGatewayError extends DaybookError {}

/** A server Daybook forwards to did not answer in time. HTTP 504. */
export class GatewayTimeoutError extends DaybookError {}

/** The database was written by a newer Daybook than this one. */
export class SchemaTooNewError extends DaybookError {
  constructor(path: string, found: number, known: number) {
    super(
      'schema_too_new',
      `database ${path} has schema version ${found}, but this daybook only knows up to ${known}; upgrade daybook`,
    )
  }
}
