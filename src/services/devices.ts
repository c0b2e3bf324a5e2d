/**
 * Devices: the machines whose activity this daemon holds. A rename is announced on the bus after
 * it commits.
 */
import type { Clock } from '../domain/clock.ts'
import type { DeviceRow, Store } from '../store/ports.ts'
import type { Bus } from './bus.ts'

export class DeviceService {
  readonly #store: () => Store
  readonly #bus: Bus
  readonly #clock: Clock

  constructor(deps: { store: () => Store; bus: Bus; clock: Clock }) {
    this.#store = deps.store
    this.#bus = deps.bus
    this.#clock = deps.clock
  }

  list(): Promise<DeviceRow[]> {
    return this.#store().devices.list()
  }

  /**
   * Creates the devices of these names not stored yet (an export's, read back); resolves to how
   * many were created.
   */
  async ensure(names: readonly string[]): Promise<number> {
    const { created, changes } = await this.#store().devices.ensure(names, this.#clock())
    this.#bus.publish({ type: 'changes', changes })
    return created
  }

  /** Renames a device (404 when unknown, 409 when the name is taken). */
  async rename(id: string, name: string): Promise<DeviceRow> {
    const { device, changes } = await this.#store().devices.rename(id, name)
    this.#bus.publish({ type: 'changes', changes })
    return device
  }
}
