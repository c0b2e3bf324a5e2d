/**
 * Whether the disk under the database takes writes, for `/readyz`: after a write failed for want
 * of room (or an I/O error), the daemon is not ready, and says why, until the disk has the room a
 * write needs (the headroom the refusal named). Reads and `/healthz` answer all along.
 */
import type { FastifyInstance } from 'fastify'
import { DaybookError } from '../domain/errors.ts'
import { roomToWrite } from '../store/sqlite/storage-errors.ts'

const STORAGE_CODES = new Set(['disk_full', 'storage_error'])

export class StorageHealth {
  #problem: string | undefined

  /** Notes a failed request: a storage failure makes the daemon unready. */
  failed(err: unknown): void {
    if (err instanceof DaybookError && STORAGE_CODES.has(err.code)) this.#problem = err.message
  }

  /**
   * Why writes fail, or undefined when they do not (as far as is known). `location` is the
   * store's file: once its disk has room again, the problem is over.
   */
  problem(location: string): string | undefined {
    if (this.#problem !== undefined && roomToWrite(location)) this.#problem = undefined
    return this.#problem
  }
}

/** Keeps `health` up to date with what an app's requests meet. */
export function trackStorageHealth(app: FastifyInstance, health: StorageHealth): void {
  app.addHook('onError', async (_request, _reply, err) => health.failed(err))
}
