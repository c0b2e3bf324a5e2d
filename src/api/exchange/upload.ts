/**
 * An import's upload, read as it arrives under the import's own bounds rather than the server's
 * whole-request timeout (see `src/api/body-bounds.ts`): no total time, since years of history take
 * as long as they take to send, but the client may not pause longer than `idleMs` between chunks
 * (time the daemon spends storing what it read does not count: the clock runs only while it waits
 * for bytes), and the upload may not be larger than `maxBytes`.
 *
 * When an upload is cut off (it stalled, it grew too large, the client went away) the reader
 * throws a typed error naming the file and the byte, and keeps it as `failure`: the import stores
 * the items read before it, or none (`--atomic`), and its job says which.
 */
import type { Readable } from 'node:stream'
import {
  BadRequestError,
  DaybookError,
  PayloadTooLargeError,
  RequestTimeoutError,
} from '../../domain/errors.ts'

/** The bounds of an import's upload. */
export interface UploadLimits {
  /** The longest pause between chunks, ms. */
  idleMs: number
  /** The largest upload, bytes. */
  maxBytes: number
}

/** A size for messages: `16384 MB`, or bytes when it is no whole number of megabytes. */
const size = (bytes: number) =>
  bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MB` : `${bytes} bytes`

/** The size a request declares is larger than an import may be: refused before anything is read. */
export function checkDeclaredSize(
  name: string,
  contentLength: string | undefined,
  limits: UploadLimits,
): void {
  const declared = contentLength === undefined ? Number.NaN : Number(contentLength)
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    throw tooLarge(name, declared, limits)
  }
}

function tooLarge(name: string, bytes: number, limits: UploadLimits): PayloadTooLargeError {
  return new PayloadTooLargeError(
    'import_too_large',
    `${name}: the upload is larger (${bytes} bytes or more) than the ${size(limits.maxBytes)} an ` +
      'import may be (DAYBOOK_IMPORT_MAX_MB)',
  )
}

/** The bytes of an upload, under its bounds. */
export class Upload implements AsyncIterable<Buffer> {
  /** Bytes read so far. */
  bytes = 0
  /** Why the upload was cut off, once it was. */
  failure: DaybookError | undefined
  /** The file's name, for messages. */
  readonly name: string
  readonly #body: AsyncIterable<Buffer | string>
  readonly #limits: UploadLimits

  constructor(body: Readable | AsyncIterable<Buffer | string>, name: string, limits: UploadLimits) {
    this.#body = body
    this.name = name
    this.#limits = limits
  }

  #stop: (reason: DaybookError) => void = () => undefined
  /** Resolves with the reason when the upload is stopped from outside (`stop`). */
  readonly #stopped = new Promise<DaybookError>((resolve) => {
    this.#stop = resolve
  })

  #cut(err: DaybookError): DaybookError {
    this.failure ??= err
    return err
  }

  /**
   * Cuts the upload off from outside (the daemon is stopping): the reader throws `reason` at
   * once, and the import ends as for any cut.
   */
  stop(reason: DaybookError): void {
    this.#stop(reason)
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    const iterator = this.#body[Symbol.asyncIterator]()
    const { idleMs, maxBytes } = this.#limits
    for (;;) {
      let timer: NodeJS.Timeout | undefined
      const stalled = new Promise<'stalled'>((resolve) => {
        timer = setTimeout(resolve, idleMs, 'stalled')
      })
      let next: IteratorResult<Buffer | string> | 'stalled' | DaybookError
      try {
        next = await Promise.race([iterator.next(), stalled, this.#stopped])
      } catch (err) {
        throw this.#cut(
          new BadRequestError(
            'upload_cut_off',
            `${this.name}: the upload was cut off after byte ${this.bytes} ` +
              `(${(err as Error).message}): the client closed the connection`,
          ),
        )
      } finally {
        clearTimeout(timer)
      }
      if (next === 'stalled') {
        throw this.#cut(
          new RequestTimeoutError(
            'import_stalled',
            `${this.name}: the upload stalled after byte ${this.bytes}: nothing arrived for ` +
              `${idleMs / 1000} s (DAYBOOK_IMPORT_IDLE_TIMEOUT_SEC)`,
          ),
        )
      }
      if (next instanceof DaybookError) throw this.#cut(next)
      if (next.done === true) return
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value
      if (this.bytes + chunk.length > maxBytes) {
        throw this.#cut(tooLarge(this.name, this.bytes + chunk.length, this.#limits))
      }
      this.bytes += chunk.length
      yield chunk
    }
  }
}
