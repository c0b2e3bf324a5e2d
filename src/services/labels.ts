/**
 * Labels: notes on stretches of time. Writes are announced on the bus after they commit.
 */
import type { Store } from '../store/ports.ts'
import type { Label, NewLabel } from '../domain/labels.ts'
import type { Bus } from './bus.ts'

export class LabelService {
  readonly #store: () => Store
  readonly #bus: Bus

  constructor(deps: { store: () => Store; bus: Bus }) {
    this.#store = deps.store
    this.#bus = deps.bus
  }

  async create(label: NewLabel): Promise<Label> {
    const { label: created, changes } = await this.#store().labels.create(label)
    this.#bus.publish({ type: 'changes', changes })
    return created
  }

  async update(id: string, patch: Partial<NewLabel>): Promise<Label> {
    const { label, changes } = await this.#store().labels.update(id, patch)
    this.#bus.publish({ type: 'changes', changes })
    return label
  }

  async delete(id: string): Promise<boolean> {
    const { deleted, changes } = await this.#store().labels.delete(id)
    this.#bus.publish({ type: 'changes', changes })
    return deleted
  }
}
