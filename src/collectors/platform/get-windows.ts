/**
 * The desktop on macOS and Windows: the focused window through the maintained `get-windows`
 * package, time since the last input from the keyboard and mouse hook (`uiohook-napi`) that the
 * input collector uses too.
 *
 * `get-windows` is not a dependency: its install step downloads a prebuilt binary (or builds one
 * on Windows), which would make `npm install` fail on machines without that access, Linux CI
 * included. A person on macOS or Windows installs it (`npm install get-windows`); without it the
 * watcher stops with one line saying so. The focused window is asked for at each sample (these
 * platforms have no change notification the package exposes).
 */
import type { FocusedWindow } from '../window/tracker.ts'
import { subscribeHook } from './uiohook.ts'
import type { DesktopSource } from './x11-desktop.ts'

/** The part of `get-windows`' answer the window watcher uses. */
export interface GetWindowsResult {
  title?: string
  owner?: { name?: string; path?: string }
  /** A browser's URL (macOS, for the browsers that tell it). */
  url?: string
}

type ActiveWindow = (options?: {
  accessibilityPermission?: boolean
  screenRecordingPermission?: boolean
}) => Promise<GetWindowsResult | undefined>

/**
 * The focused window in the watcher's terms; a browser's URL, when the platform tells it, is
 * appended to the title so the tracker derives the domain and URL as it does from X11 titles.
 */
export function focusedFromGetWindows(r: GetWindowsResult | undefined): FocusedWindow | null {
  const app = r?.owner?.name?.trim()
  if (!r || !app) return null
  const title = r.title ?? ''
  const withUrl = r.url && !title.includes(r.url) ? `${title} - ${r.url}` : title
  return { app, title: withUrl, executable: r.owner?.path || undefined }
}

/** Loads `get-windows`, or explains in one line how to get it. */
export async function loadActiveWindow(
  platform: NodeJS.Platform = process.platform,
  moduleName = 'get-windows',
): Promise<ActiveWindow> {
  try {
    const mod = (await import(moduleName)) as { activeWindow?: ActiveWindow }
    if (typeof mod.activeWindow !== 'function') throw new Error('it has no activeWindow()')
    return mod.activeWindow
  } catch (err) {
    throw new Error(
      `watching windows on ${platform} needs the get-windows package, which is not installed ` +
        `(${(err as Error).message.split('\n')[0]}): run npm install get-windows in the Daybook ` +
        'directory, or run daybook watch input alone',
    )
  }
}

/** The desktop source for macOS and Windows. */
export async function getWindowsDesktop(env: NodeJS.ProcessEnv): Promise<DesktopSource> {
  const activeWindow = await loadActiveWindow()
  let lastInputMs = Date.now()
  const unsubscribe = await subscribeHook(env, () => {
    lastInputMs = Date.now()
  })
  let askedTitles = false
  return {
    async focused() {
      const r = await activeWindow({
        accessibilityPermission: true,
        screenRecordingPermission: true,
      })
      if (process.platform === 'darwin' && r && !r.title && !askedTitles) {
        askedTitles = true
        process.stderr.write(
          'daybook watch: macOS gives window titles only with the Screen Recording permission ' +
            '(System Settings → Privacy & Security); recording app names only until then\n',
        )
      }
      return focusedFromGetWindows(r)
    },
    async idleMs() {
      return Math.max(0, Date.now() - lastInputMs)
    },
    onChange() {
      // No notifications here: the watcher's one-second sampling sees every change.
    },
    close() {
      unsubscribe()
    },
  }
}
