/**
 * Devices: the machines whose activity this daemon holds. A rename is announced on the bus after
 * it commits.
 */
import type { DeviceRow, Store } from '../store/ports.ts'
import type { Bus } from './bus.ts'

export class DeviceService {
  readonly #store: () => Store
  readonly #bus: Bus

  constructor(deps: { store: () => Store; bus: Bus }) {
    this.#store = deps.store
    this.#bus = deps.bus
  }

  list(): Promise<DeviceRow[]> {
    return this.#store().devices.list()
  }

  /** Renames a device (404 when unknown, 409 when the name is taken). */
  async rename(id: string, name: string): Promise<DeviceRow> {
    const { device, changes } = await this.#store().devices.rename(id, name)
    this.#bus.publish({ type: 'changes', changes })
    return device
  }
}
