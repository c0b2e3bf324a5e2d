/**
 * The person's settings: read with defaults filled in, changed by a partial patch (validated by
 * the domain), and the change announced on the bus after it commits.
 */
import { type Settings, normalizeSettingsPatch, withDefaults } from '../domain/settings.ts'
import type { Store } from '../store/ports.ts'
import type { Bus } from './bus.ts'

export class SettingsService {
  readonly #store: () => Store
  readonly #bus: Bus

  constructor(deps: { store: () => Store; bus: Bus }) {
    this.#store = deps.store
    this.#bus = deps.bus
  }

  /** Every setting, defaults filled in. */
  async get(): Promise<Settings> {
    return withDefaults(await this.#store().settings.get())
  }

  /** Replaces the keys `patch` gives (a 422 names a bad one); returns the settings after. */
  async update(patch: Partial<Settings>): Promise<Settings> {
    const normalized = normalizeSettingsPatch(patch)
    // Scheduled backups need a store that copies itself: a server database says which tool to
    // use instead (409), and nothing is saved.
    if (normalized.backups !== undefined) this.#store().checkBackup()
    const { changes } = await this.#store().settings.save(normalized)
    this.#bus.publish({ type: 'changes', changes })
    return this.get()
  }
}
