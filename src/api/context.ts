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
import type { Store } from '../store/store.ts'

/** One entry of the route table: what is served, and who may call it. */
export interface RouteEntry {
  method: string
  url: string
  access: Access | undefined
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
  #store: Store | undefined

  constructor(options: {
    version: string
    clock: Clock
    store?: Store | undefined
    defaultToken?: DefaultTokenSource | undefined
  }) {
    this.version = options.version
    this.clock = options.clock
    this.#store = options.store
    this.#defaultToken = options.defaultToken
    this.tokens = new TokenAuthenticator({ store: () => this.store, clock: this.clock })
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

  /** Attaches the store once it is open and migrated. */
  attachStore(store: Store): void {
    this.#store = store
  }

  async settings(): Promise<Settings> {
    return withDefaults(await this.store.settings())
  }

  /** The calendar for a request: its `tz` if given, else the setting, else the process zone. */
  async calendar(requestZone?: string): Promise<Calendar> {
    return calendarFor(await this.settings(), requestZone)
  }
}
