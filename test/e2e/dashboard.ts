/**
 * The browser the dashboard tests drive: Debian's chromium through playwright-core, headless.
 * `dashboardSkipReason` says why the tests cannot run here (no chromium, page not built).
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { type Browser, chromium } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
export const WEB_DIST = path.join(import.meta.dirname, '..', '..', 'web', 'dist', 'index.html')

export function dashboardSkipReason(): string | undefined {
  if (!existsSync(CHROMIUM)) {
    return `${CHROMIUM} not found (install Debian's chromium: apt-get install -y chromium)`
  }
  if (!existsSync(WEB_DIST)) return `${WEB_DIST} not found (build the page: npm run build:web)`
  return undefined
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}
