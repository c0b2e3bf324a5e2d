/**
 * The after-commit event bus: what the store committed, announced to whoever listens (live
 * streams, hooks, later sync). Services publish only after a write resolved, that is after its
 * transaction committed, so nothing rolled back is ever announced.
 */
import type { Change } from '../domain/changes.ts'
import type { InputRow } from '../domain/input.ts'

/**
 * Input counts added to one bucket of a device and source (input is not in the change feed; it
 * is announced here).
 */
export type InputSample = InputRow

export type BusMessage =
  | { type: 'changes'; changes: readonly Change[] }
  | { type: 'input'; samples: readonly InputSample[] }
  /** A hook rule fired with a `stream` action: its payload (`src/domain/hooks/payload.ts`). */
  | { type: 'hook'; payload: unknown }
  /** An import job's progress (`services/import.ts`): the job as `GET /v1/import/{id}` shows it. */
  | { type: 'import'; job: unknown }
  /**
   * Screenshots' index rows were stored or deleted (`services/screenshots.ts`). No entries: frames
   * are not in the change feed's; sync hears it and pushes them.
   */
  | { type: 'screenshots'; stored: number; deleted: number }

export type Listener = (message: BusMessage) => void

export class Bus {
  readonly #listeners = new Set<Listener>()
  /** Told when a listener throws; the others still hear the message. */
  readonly #onError: (err: unknown) => void

  constructor(onError: (err: unknown) => void = () => undefined) {
    this.#onError = onError
  }

  /** Listens until the returned function is called. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  get listeners(): number {
    return this.#listeners.size
  }

  /**
   * Hands a message to every listener, synchronously and in order. A listener must not block: one
   * that needs to do slow work queues it (the WebSocket stream keeps a bounded queue per client).
   */
  publish(message: BusMessage): void {
    if (message.type === 'changes' && message.changes.length === 0) return
    if (message.type === 'input' && message.samples.length === 0) return
    for (const listener of this.#listeners) {
      try {
        listener(message)
      } catch (err) {
        this.#onError(err)
      }
    }
  }
}
