/**
 * The desktop on X11, through the pure-JavaScript `x11` client (no native build): which window
 * has focus (`_NET_ACTIVE_WINDOW`, kept by any EWMH window manager), its class, title and
 * program, told by property-change notifications rather than polling; and how long since the
 * last input (the MIT-SCREEN-SAVER extension's idle time).
 */
import { readlinkSync } from 'node:fs'
import path from 'node:path'
import x11 from 'x11'
import type { FocusedWindow } from '../window/tracker.ts'

/** What the window and AFK watchers need from a desktop. */
export interface DesktopSource {
  /** The focused window, or null (none, or the window manager does not say). */
  focused(): Promise<FocusedWindow | null>
  /** Milliseconds since the last keyboard or mouse input. */
  idleMs(): Promise<number>
  /** Whether the screen is locked or blanked (where the platform tells). */
  locked?(): Promise<boolean>
  /** Called when focus or the focused window's title may have changed. */
  onChange(listener: () => void): void
  close(): void
}

const WM_NAME = 39 // predefined atoms
const WM_CLASS = 67
const ANY_TYPE = 0

type XClient = Parameters<Parameters<typeof x11.createClient>[1]>[1]['client']

function promise<T>(run: (cb: (err: Error | null | undefined, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((err, v) => (err ? reject(err) : resolve(v))))
}

/** Connects to `env.DISPLAY`; rejects with a clear message when there is no usable X server. */
export async function x11Desktop(env: NodeJS.ProcessEnv): Promise<DesktopSource> {
  if (!env.DISPLAY) {
    throw new Error(
      'no X display (DISPLAY is not set); under Wayland the focused window is only visible to X11 (XWayland) programs',
    )
  }
  const display = await new Promise<Parameters<Parameters<typeof x11.createClient>[1]>[1]>(
    (resolve, reject) => {
      const c = x11.createClient({ display: env.DISPLAY }, (err, d) =>
        err ? reject(err) : resolve(d),
      )
      c.on('error', reject)
    },
  ).catch((err: unknown) => {
    throw new Error(`cannot connect to the X display ${env.DISPLAY}: ${(err as Error).message}`)
  })
  const X: XClient = display.client
  const root = display.screen[0]?.root ?? 0
  const atom = (name: string) => promise<number>((cb) => X.InternAtom(false, name, cb))
  const [ACTIVE, NET_WM_NAME, NET_WM_PID] = await Promise.all([
    atom('_NET_ACTIVE_WINDOW'),
    atom('_NET_WM_NAME'),
    atom('_NET_WM_PID'),
  ])
  const property = (wid: number, name: number) =>
    promise<{ type: number; data: Buffer }>((cb) =>
      X.GetProperty(0, wid, name, ANY_TYPE, 0, 4096, cb),
    ).catch(() => undefined) // the window may be gone already
  const screenSaver = await promise<{
    QueryInfo: (
      d: number,
      cb: (e: Error | null, i: { idle: number; state: number }) => void,
    ) => void
  }>((cb) => X.require('screen-saver', cb as never)).catch(() => undefined)

  const listeners: (() => void)[] = []
  let watched = 0
  X.ChangeWindowAttributes(root, { eventMask: x11.eventMask.PropertyChange ?? 0x400000 })
  X.on('event', (ev) => {
    if (ev.name !== 'PropertyNotify') return
    const relevant =
      (ev.wid === root && ev.atom === ACTIVE) ||
      (ev.wid === watched && (ev.atom === NET_WM_NAME || ev.atom === WM_NAME))
    if (relevant) for (const l of listeners) l()
  })
  X.on('error', () => undefined) // a vanished window's BadWindow: its callback has it too

  const activeWindow = async (): Promise<number> => {
    const p = await property(root, ACTIVE)
    return p && p.data.length >= 4 ? p.data.readUInt32LE(0) : 0
  }

  return {
    async focused() {
      const wid = await activeWindow()
      if (wid === 0) return null
      if (wid !== watched) {
        // Title changes of the focused window arrive as its own property notifications.
        X.ChangeWindowAttributes(wid, { eventMask: x11.eventMask.PropertyChange ?? 0x400000 })
        watched = wid
      }
      const [cls, netName, name, pid] = await Promise.all([
        property(wid, WM_CLASS),
        property(wid, NET_WM_NAME),
        property(wid, WM_NAME),
        property(wid, NET_WM_PID),
      ])
      // WM_CLASS is "instance\0class\0"; the class names the program.
      const parts = cls ? cls.data.toString('latin1').split('\0').filter(Boolean) : []
      const title =
        netName && netName.data.length > 0
          ? netName.data.toString('utf8')
          : name
            ? name.data.toString('latin1')
            : ''
      const executable =
        pid && pid.data.length >= 4 ? executableOf(pid.data.readUInt32LE(0)) : undefined
      const app = parts[1] ?? parts[0] ?? (executable ? path.basename(executable) : '')
      if (app === '' && title === '') return null
      return { app: app || 'unknown', title, executable }
    },
    async idleMs() {
      if (!screenSaver) return 0
      const info = await promise<{ idle: number }>((cb) => screenSaver.QueryInfo(root, cb))
      return info.idle
    },
    async locked() {
      // The screen saver is on (state 1): blanked, or a locker that uses it holds the screen.
      if (!screenSaver) return false
      const info = await promise<{ state: number }>((cb) => screenSaver.QueryInfo(root, cb))
      return info.state === 1
    },
    onChange(listener) {
      listeners.push(listener)
    },
    close() {
      X.terminate()
    },
  }
}

function executableOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`)
  } catch {
    return undefined
  }
}
