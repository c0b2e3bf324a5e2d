/**
 * Labels: notes on stretches of time. Writes are announced on the bus after they commit.
 */
import type { Clock } from '../domain/clock.ts'
import type { Store } from '../store/ports.ts'
import type { Label, NewLabel } from '../domain/labels.ts'
import type { Bus } from './bus.ts'

export class LabelService {
  readonly #store: () => Store
  readonly #bus: Bus
  readonly #clock: Clock

  constructor(deps: { store: () => Store; bus: Bus; clock: Clock }) {
    this.#store = deps.store
    this.#bus = deps.bus
    this.#clock = deps.clock
  }

  async create(label: NewLabel): Promise<Label> {
    const { label: created, changes } = await this.#store().labels.create(label, this.#clock())
    this.#bus.publish({ type: 'changes', changes })
    return created
  }

  async update(id: string, patch: Partial<NewLabel>): Promise<Label> {
    const { label, changes } = await this.#store().labels.update(id, patch, this.#clock())
    this.#bus.publish({ type: 'changes', changes })
    return label
  }

  async delete(id: string): Promise<boolean> {
    const { deleted, changes } = await this.#store().labels.delete(id)
    this.#bus.publish({ type: 'changes', changes })
    return deleted
  }
}
