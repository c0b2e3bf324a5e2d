/**
 * What route handlers reach through `app.daybook`: the store (once ready), the clock, settings,
 * the calendar a request computes in, and the tokens.
 */
import type { Access } from '../auth/access.ts'
import { type DefaultTokenSource } from '../auth/default-token.ts'
import { TokenAuthenticator } from '../auth/tokens.ts'
import type { Calendar } from '../domain/calendar.ts'
import { ConflictError, NotReadyError } from '../domain/errors.ts'
import { type Settings, calendarFor, withDefaults } from '../domain/settings.ts'
import { InputRetention } from '../store/input-retention.ts'
import type { Store } from '../store/store.ts'

/** One entry of the route table: what is served, and who may call it. */
export interface RouteEntry {
  method: string
  url: string
  access: Access | undefined
  /** `seed001` when the route speaks the seed-001 wire (raw-key auth, `{"error"}` bodies). */
  wire: 'seed001' | undefined
}

/** Epoch milliseconds now; injectable so tests control time. */
export type Clock = () => number

export class DaybookContext {
  readonly version: string
  readonly clock: Clock
  /** Every route the app serves, as registered (HEAD routes included). */
  readonly routes: RouteEntry[] = []
  /** Scoped tokens: checked on every request, managed by the token routes. */
  readonly tokens: TokenAuthenticator
  readonly #defaultToken: DefaultTokenSource | undefined
  /** Deletes old input-activity rows; runs when the store is attached, then at most daily. */
  readonly inputRetention: InputRetention
  #store: Store | undefined

  constructor(options: {
    version: string
    clock: Clock
    store?: Store | undefined
    defaultToken?: DefaultTokenSource | undefined
    onRetentionError?: (err: unknown) => void
  }) {
    this.version = options.version
    this.clock = options.clock
    this.#store = options.store
    this.#defaultToken = options.defaultToken
    this.tokens = new TokenAuthenticator({ store: () => this.store, clock: this.clock })
    this.inputRetention = new InputRetention({
      store: () => this.#store,
      clock: options.clock,
      onError: options.onRetentionError,
    })
  }

  /** Rotates the default admin token; 409 when this daemon's default token is fixed. */
  rotateDefaultToken(): string {
    if (!this.#defaultToken) {
      throw new ConflictError('default_token_fixed', 'this daemon has no default token to rotate')
    }
    return this.#defaultToken.rotate()
  }

  /** True once a migrated store is attached; `/readyz` reports it. */
  get ready(): boolean {
    return this.#store !== undefined
  }

  /** The store; throws a 503 error until it is attached. */
  get store(): Store {
    if (!this.#store)
      throw new NotReadyError('not_ready', 'the daemon is starting; try again shortly')
    return this.#store
  }

  /** Attaches the store once it is open and migrated, and runs input retention for the first time. */
  attachStore(store: Store): Promise<unknown> {
    this.#store = store
    return this.inputRetention.maybeRun()
  }

  async settings(): Promise<Settings> {
    return withDefaults(await this.store.settings())
  }

  /**
   * What one request computes with, read once: the settings, the calendar (the request's `tz` if
   * given, else the setting, else the process zone) and the time now.
   */
  async requestTime(
    requestZone?: string,
  ): Promise<{ settings: Settings; calendar: Calendar; nowMs: number }> {
    const settings = await this.settings()
    return { settings, calendar: calendarFor(settings, requestZone), nowMs: this.clock() }
  }
}
