/**
 * The one place that picks the desktop source for the platform, once at start: X11 on Linux
 * (and the BSDs' X11 sessions), `get-windows` on macOS and Windows.
 */
import { getWindowsDesktop } from './get-windows.ts'
import { type DesktopSource, x11Desktop } from './x11-desktop.ts'

/** Opens this platform's desktop source; rejects with one line where there is none. */
export async function openDesktop(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): Promise<DesktopSource> {
  switch (platform) {
    case 'linux':
    case 'freebsd':
    case 'openbsd':
      return x11Desktop(env)
    case 'darwin':
    case 'win32':
      return getWindowsDesktop(env)
    default:
      throw new Error(
        `no way to see the focused window on ${platform}; run daybook watch input alone, ` +
          'or ActivityWatch watchers against daybook serve --aw',
      )
  }
}
