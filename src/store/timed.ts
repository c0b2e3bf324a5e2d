/**
 * Slow-query logging: a store whose every method is timed, and each call that takes at least the
 * threshold reported (with the name `<aggregate>.<method>`). Which route asked is the caller's to
 * add: it knows the request.
 */
import type { Store } from './ports.ts'

/** The port's aggregates: objects of methods returning promises. */
export const STORE_AGGREGATES = [
  'events',
  'afk',
  'devices',
  'catalog',
  'input',
  'settings',
  'tokens',
  'changes',
  'activeTime',
  'labels',
  'status',
  'search',
  'activitywatch',
  'heartbeats',
  'sync',
  'hooks',
  'screenshots',
  'users',
  'teams',
] as const satisfies readonly (keyof Store)[]

/**
 * `store` with its aggregates' methods timed: `onSlow(method, ms)` hears of every call that took
 * at least `thresholdMs` (failed ones too). Everything else is the store's own.
 */
export function timedStore(
  store: Store,
  thresholdMs: number,
  onSlow: (method: string, ms: number) => void,
): Store {
  const timed: Record<string, unknown> = {}
  for (const name of STORE_AGGREGATES) {
    const aggregate = store[name] as unknown as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(aggregate)) {
      if (typeof value !== 'function') {
        out[key] = value
        continue
      }
      const method = `${name}.${key}`
      out[key] = (...args: unknown[]) => {
        const started = performance.now()
        const report = () => {
          const ms = performance.now() - started
          if (ms >= thresholdMs) onSlow(method, Math.round(ms))
        }
        const result = (value as (...a: unknown[]) => unknown).apply(aggregate, args)
        if (result instanceof Promise) return result.finally(report)
        report()
        return result
      }
    }
    timed[name] = out
  }
  // The rest (schema, migrate, backup, diaries, close, location) as the store has it.
  return new Proxy(store, {
    get: (target, prop) => {
      if (typeof prop === 'string' && prop in timed) return timed[prop]
      const value = Reflect.get(target, prop) as unknown
      // Bound to the store itself: its methods use private fields, which a proxy does not have.
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value
    },
  })
}
