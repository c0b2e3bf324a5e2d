import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import type { DaybookApi } from '../../src/client/api.ts'

export interface Loaded<T> {
  data: T | undefined
  error: Error | undefined
  loading: boolean
}

function sameDeps(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]))
}

/**
 * Runs `load` whenever `deps` change, aborting the previous run; keeps the last data while a new
 * run is under way (a live refresh does not blank the page).
 *
 * `enabled` false holds a load back (the page's secondary cards wait for the chart a person looks
 * at first, so their requests do not queue before it); once enabled, it runs only if `deps`
 * differ from those of the last completed load.
 *
 * The request goes out as soon as the render is committed (a layout effect), not after the
 * browser has painted it: on a busy machine a paint of the whole page costs a noticeable share of
 * the time to the first chart.
 */
export function useLoad<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: unknown[],
  enabled = true,
): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({
    data: undefined,
    error: undefined,
    loading: true,
  })
  const done = useRef<unknown[] | undefined>(undefined)
  useLayoutEffect(() => {
    // What is shown is the last completed load's: nothing to do when it is of these deps.
    if (done.current !== undefined && sameDeps(done.current, deps)) {
      setState((s) => (s.loading ? { ...s, loading: false } : s))
      return
    }
    if (!enabled) {
      setState((s) => (s.loading ? s : { ...s, loading: true }))
      return
    }
    const ctrl = new AbortController()
    setState((s) => (s.loading ? s : { ...s, loading: true }))
    load(ctrl.signal).then(
      (data) => {
        if (ctrl.signal.aborted) return
        done.current = deps
        setState({ data, error: undefined, loading: false })
      },
      (error: unknown) => {
        if (ctrl.signal.aborted) return
        done.current = deps
        setState({
          data: undefined,
          error: error instanceof Error ? error : new Error(String(error)),
          loading: false,
        })
      },
    )
    return () => ctrl.abort()
  }, [...deps, enabled])
  return state
}

export type LiveState = 'connecting' | 'live' | 'offline'

/** Envelope types after which the page's numbers may have changed. */
const CHANGE_TYPES = [
  'EventsInserted',
  'EventsDeleted',
  'AfkChanged',
  'LabelCreated',
  'LabelUpdated',
  'LabelDeleted',
  'SettingsChanged',
  'DevicesChanged',
]

/**
 * The live stream: calls `onChange` (debounced) after data changed, reconnects with back-off.
 */
export function useLive(
  api: DaybookApi | undefined,
  onChange: () => void,
): { state: LiveState; lastChange: number | undefined } {
  const [state, setState] = useState<LiveState>('connecting')
  const [lastChange, setLastChange] = useState<number | undefined>(undefined)
  const changeRef = useRef(onChange)
  changeRef.current = onChange
  useEffect(() => {
    if (!api) return
    let socket: WebSocket | undefined
    let retry: ReturnType<typeof setTimeout> | undefined
    let debounce: ReturnType<typeof setTimeout> | undefined
    let attempt = 0
    let stopped = false
    const connect = () => {
      setState('connecting')
      socket = new WebSocket(api.streamUrl({ types: CHANGE_TYPES, origin: location.origin }))
      socket.addEventListener('open', () => {
        attempt = 0
        setState('live')
      })
      socket.addEventListener('message', (m: MessageEvent<string>) => {
        let type: string | undefined
        try {
          type = (JSON.parse(m.data) as { type?: string }).type
        } catch {
          return
        }
        if (type === undefined || !CHANGE_TYPES.includes(type)) return
        clearTimeout(debounce)
        debounce = setTimeout(() => {
          setLastChange(Date.now())
          changeRef.current()
        }, 300)
      })
      socket.addEventListener('close', () => {
        if (stopped) return
        setState('offline')
        attempt += 1
        retry = setTimeout(connect, Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5)))
      })
    }
    connect()
    return () => {
      stopped = true
      clearTimeout(retry)
      clearTimeout(debounce)
      socket?.close()
    }
  }, [api])
  return { state, lastChange }
}
