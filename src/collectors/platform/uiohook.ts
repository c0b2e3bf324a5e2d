/**
 * Global keyboard and mouse hooks through `uiohook-napi` (libuiohook: XRecord on X11, low-level
 * hooks on Windows, event taps on macOS). Loaded lazily, so the daemon and the tests never need
 * the native module unless `daybook watch input` runs.
 *
 * On X11, libuiohook aborts the process when DISPLAY is unset and hangs when nothing answers at
 * it, so the display is checked first and a missing one is a clear error instead. Under Wayland
 * only XWayland clients are seen.
 */
import net from 'node:net'
import type { InputKind } from '../../domain/input.ts'
import type { InputSource } from '../input/collector.ts'

/** libuiohook event types (uiohook-napi's `EventType`). */
const EVENT = {
  keyPressed: 4,
  mousePressed: 7,
  mouseMoved: 9,
  mouseDragged: 10,
  mouseWheel: 11,
} as const

/** libuiohook buttons: 1 left, 2 right, 3 middle (X11 numbers right 3 and middle 2). */
const BUTTONS: Record<number, InputKind> = { 1: 'lc', 2: 'rc', 3: 'mc' }

interface HookEvent {
  type: number
  button?: unknown
  rotation?: number
}

interface Uiohook {
  on(event: 'input', listener: (e: HookEvent) => void): unknown
  removeAllListeners(event: 'input'): unknown
  start(): void
  stop(): void
}

/**
 * What one hook event counts as, if anything: a key press, a button press (left, right, middle;
 * other buttons are ignored), a motion event (dragging included), or scroll steps (a wheel event
 * is at least one step; a multi-notch event on Windows counts each notch).
 */
export function classify(e: HookEvent): [InputKind, number] | undefined {
  switch (e.type) {
    case EVENT.keyPressed:
      return ['kp', 1]
    case EVENT.mousePressed: {
      const kind = typeof e.button === 'number' ? BUTTONS[e.button] : undefined
      return kind ? [kind, 1] : undefined
    }
    case EVENT.mouseMoved:
    case EVENT.mouseDragged:
      return ['mm', 1]
    case EVENT.mouseWheel:
      return ['scroll', Math.max(1, Math.round(Math.abs(e.rotation ?? 1)))]
    default:
      return undefined
  }
}

/** One native hook per process, shared by the input collector and the idle clock. */
let shared: { hook: Uiohook; listeners: Set<(e: HookEvent) => void> } | undefined

/**
 * Subscribes to every hook event; the hook starts with the first subscriber and stops with the
 * last. Rejects with a clear message when the hook cannot run here.
 */
export async function subscribeHook(
  env: NodeJS.ProcessEnv,
  listener: (e: HookEvent) => void,
): Promise<() => void> {
  if (!shared) {
    if (process.platform !== 'win32' && process.platform !== 'darwin') await checkX11(env.DISPLAY)
    let hook: Uiohook
    try {
      const mod = (await import('uiohook-napi')) as unknown as { uIOhook: Uiohook }
      hook = mod.uIOhook
    } catch (err) {
      throw new Error(
        `cannot load the keyboard and mouse hook (uiohook-napi) for ${process.platform}-${process.arch}: ${(err as Error).message}`,
      )
    }
    const listeners = new Set<(e: HookEvent) => void>()
    hook.on('input', (e) => {
      for (const l of listeners) l(e)
    })
    try {
      hook.start()
    } catch (err) {
      throw new Error(
        process.platform === 'darwin'
          ? 'macOS refused the keyboard and mouse hook: allow daybook (your terminal or node) in System Settings → Privacy & Security → Accessibility'
          : `the keyboard and mouse hook did not start: ${(err as Error).message}`,
      )
    }
    shared = { hook, listeners }
  }
  const current = shared
  current.listeners.add(listener)
  return () => {
    current.listeners.delete(listener)
    if (current.listeners.size === 0 && shared === current) {
      current.hook.removeAllListeners('input')
      current.hook.stop()
      shared = undefined
    }
  }
}

/** The hook as an input source; `start` rejects with a clear message when it cannot run here. */
export function uiohookSource(env: NodeJS.ProcessEnv = process.env): InputSource {
  let unsubscribe: (() => void) | undefined
  return {
    async start(onInput) {
      unsubscribe = await subscribeHook(env, (e) => {
        const counted = classify(e)
        if (counted) onInput(counted[0], counted[1])
      })
    },
    async stop() {
      unsubscribe?.()
      unsubscribe = undefined
    },
  }
}

/** Resolves when an X server answers at `display`; rejects with the reason otherwise. */
export async function checkX11(display: string | undefined): Promise<void> {
  if (display === undefined || display === '') {
    throw new Error('DISPLAY is not set: input is counted in an X11 session (or XWayland)')
  }
  const m = /^(?<host>[^:]*):(?<num>\d+)(?:\.\d+)?$/.exec(display)
  if (!m?.groups) throw new Error(`DISPLAY=${display} is not an X display name`)
  const { host = '', num = '0' } = m.groups
  const candidates: net.NetConnectOpts[] =
    host === '' || host === 'unix'
      ? [
          // Linux X servers listen on an abstract socket and on the file socket.
          ...(process.platform === 'linux' ? [{ path: `\0/tmp/.X11-unix/X${num}` }] : []),
          { path: `/tmp/.X11-unix/X${num}` },
        ]
      : [{ host, port: 6000 + Number(num) }]
  for (const target of candidates) {
    if (await connects(target)) return
  }
  throw new Error(`no X server answers at DISPLAY=${display}`)
}

function connects(target: net.NetConnectOpts): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(target)
    socket.setTimeout(3000)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(false))
  })
}
