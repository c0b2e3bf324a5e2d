/**
 * The calls between `SqliteStore` (main thread) and its worker threads, as one typed map: the
 * method name is `<aggregate>.<method>` of the `Store` port, its arguments and answer are the
 * port's (answered synchronously by the worker; the main thread gets a promise). The worker's
 * handler table and the main thread's calls are both checked against it, so a wrong name, a
 * missing handler or arguments in the wrong order fail to compile.
 */
import type { ActivityWatchStore } from '../activitywatch-port.ts'
import type {
  ActiveTimeStore,
  AfkStore,
  CatalogStore,
  ChangeFeed,
  DeviceStore,
  EventStore,
  HeartbeatStore,
  HookStore,
  InputStore,
  LabelStore,
  ScreenshotStore,
  SearchStore,
  SettingsStore,
  StatusStore,
  Store,
  SyncStore,
  TeamStore,
  TokenStore,
  UserStore,
} from '../ports.ts'
import type { PackedEvents, PackedIngestResult } from './event-batch.ts'

/** A port method as the worker answers it: the same arguments, the value without the promise. */
type Sync<F> = F extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : never

/** Every method of an aggregate of the port, named `<prefix>.<method>`. */
type Calls<P extends string, S> = {
  [K in keyof S & string as `${P}.${K}`]: Sync<S[K]>
}

/** Every call a store worker answers. */
export type StoreCalls = {
  schema: Sync<Store['schema']>
  migrate: Sync<Store['migrate']>
  backup: Sync<Store['backup']>
  close: () => null
  /** Packed: the batch crosses to the writer as a few strings and typed arrays. */
  'events.insert': (
    events: PackedEvents,
    ...rest: Parameters<EventStore['insert']> extends [unknown, ...infer R] ? R : never
  ) => PackedIngestResult
} & Omit<Calls<'events', EventStore>, 'events.insert'> &
  Calls<'afk', AfkStore> &
  Calls<'devices', DeviceStore> &
  Calls<'catalog', CatalogStore> &
  Calls<'input', InputStore> &
  Calls<'settings', SettingsStore> &
  Calls<'tokens', Omit<TokenStore, 'version'>> &
  Calls<'changes', ChangeFeed> &
  Calls<'activeTime', ActiveTimeStore> &
  Calls<'labels', LabelStore> &
  Calls<'status', StatusStore> &
  Calls<'search', SearchStore> &
  Calls<'aw', ActivityWatchStore> &
  Calls<'heartbeats', HeartbeatStore> &
  Omit<Calls<'sync', SyncStore>, 'sync.checkSpoke'> &
  Calls<'hooks', HookStore> &
  Calls<'screenshots', ScreenshotStore> &
  Calls<'users', UserStore> &
  Calls<'teams', TeamStore>

export type StoreMethod = keyof StoreCalls

/** A call from the main thread. */
export interface Call<M extends StoreMethod = StoreMethod> {
  id: number
  method: M
  args: Parameters<StoreCalls[M]>
}
