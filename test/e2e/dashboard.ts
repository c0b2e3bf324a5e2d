/**
 * What the dashboard's browser tests share: Debian's chromium through playwright-core, headless;
 * `dashboardSkipReason` says why the tests cannot run here (no chromium, page not built); the
 * daemon's API as the tests call it; waiting for what the page shows (never for a clock); the
 * events the tests post; and the directory their screenshots go to.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import path from 'node:path'
import type { TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Browser, chromium, type Page } from 'playwright-core'
import type { RunningDaemon } from '../daemon.ts'
import { fileScope } from '../helpers.ts'

export const CHROMIUM = '/usr/bin/chromium'
export const WEB_DIST = path.join(import.meta.dirname, '..', '..', 'web', 'dist', 'index.html')
export const HOUR = 3_600_000

export function dashboardSkipReason(): string | undefined {
  if (!existsSync(CHROMIUM)) {
    return `${CHROMIUM} not found (install Debian's chromium: apt-get install -y chromium)`
  }
  if (!existsSync(WEB_DIST)) return `${WEB_DIST} not found (build the page: npm run build:web)`
  return undefined
}

/** True, after marking the test skipped and saying why, where the dashboard cannot be tested. */
export function skipWithoutDashboard(t: TestContext): boolean {
  const skip = dashboardSkipReason()
  if (skip === undefined) return false
  t.diagnostic(`skipped: ${skip}`)
  t.skip(skip)
  return true
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

/**
 * One Chromium for every test of a file, launched by the first that asks and closed when the file
 * ends; each test opens its own context (its own cookies and storage), so none sees another's.
 * Call it at the top of the file.
 */
export function fileChromium(): () => Promise<Browser> {
  const file = fileScope()
  let browser: Promise<Browser> | undefined
  return () =>
    (browser ??= launchChromium().then((b) => {
      file.after(() => b.close())
      return b
    }))
}

/** The daemon's HTTP API with its admin token: JSON in, JSON out, a failed status fails. */
export function daemonApi(d: RunningDaemon) {
  const base = `http://127.0.0.1:${d.discovery.port ?? 0}`
  return async (method: string, url: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${d.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? null : JSON.stringify(body),
    })
    const text = await res.text()
    assert.ok(res.ok, `${method} ${url}: ${res.status} ${text}`)
    return JSON.parse(text)
  }
}

/** An event of `minutes` from `startMs`, as the wire takes it. */
export function dashboardEvent(
  startMs: number,
  minutes: number,
  project: string,
  category: string,
  app: string,
) {
  return {
    timestamp: new Date(startMs).toISOString(),
    end_timestamp: new Date(startMs + minutes * 60_000).toISOString(),
    category,
    app_name: app,
    entity_name:
      category === 'Coding' ? `src/${project}/index.ts` : `https://docs.example/${project}`,
    entity_type: category === 'Coding' ? 'File' : 'Url',
    project_name: project,
    language_name: category === 'Coding' ? 'TypeScript' : null,
    branch_name: 'main',
    source_name: category === 'Coding' ? 'wakatime-vscode' : 'daybook-window',
  }
}

/** Polls `check` until it holds; after a minute fails with `describe()`. */
export async function waitUntil(
  check: () => Promise<boolean>,
  describe: () => Promise<string>,
): Promise<void> {
  const deadline = Date.now() + 60_000
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(await describe())
    await sleep(50)
  }
}

/** Waits until the element's text is `expected` (the page updates after its requests). */
export async function waitText(page: Page, testid: string, expected: string): Promise<void> {
  const shown = () => page.locator(`[data-testid="${testid}"]`).first().textContent()
  await waitUntil(
    async () => (await shown()) === expected,
    async () =>
      `${testid}: expected ${JSON.stringify(expected)}, shows ${JSON.stringify(await shown())}`,
  )
}

/** Waits until `selector` matches exactly `n` elements. */
export async function waitCount(page: Page, selector: string, n: number): Promise<void> {
  const count = () => page.locator(selector).count()
  await waitUntil(
    async () => (await count()) === n,
    async () => `${selector}: expected ${n}, found ${await count()}`,
  )
}

/**
 * Waits until no card is loading (`aria-busy`): a click at a measured position needs the layout
 * that the last requests leave, not the one before them.
 */
export async function settled(page: Page): Promise<void> {
  await waitCount(page, '[aria-busy="true"]', 0)
}

/** Where screenshots of the dashboard are saved for a person to look at: none when unset. */
const SCREENSHOTS_VARIABLE = 'DAYBOOK_TEST_SCREENSHOTS'

/**
 * A function that saves a full-page screenshot of `page` under a name, in a new folder of the
 * directory `DAYBOOK_TEST_SCREENSHOTS` names; without it, none is taken. No test reads them:
 * they are for a person checking how the pages look, and each cost the browser a full-page
 * capture and a PNG (about 30 a run, left behind in the temp dir on every run).
 */
export function screenshots(
  t: TestContext,
  prefix = 'dashboard',
): (page: Page, name: string) => Promise<void> {
  const root = process.env[SCREENSHOTS_VARIABLE]
  if (root === undefined || root === '') return async () => undefined
  mkdirSync(root, { recursive: true })
  const dir = mkdtempSync(path.join(root, `${prefix}-`))
  t.diagnostic(`screenshots: ${dir}`)
  return async (page, name) => {
    const file = path.join(dir, `${name}.png`)
    await page.screenshot({ path: file, fullPage: true })
    t.diagnostic(`screenshot: ${file}`)
  }
}

/**
 * The errors `page` reports as they come: uncaught exceptions and console errors (the browser
 * logs a CSP refusal and a failed request there). A test ends by asserting what it expects.
 */
export function watchProblems(page: Page): string[] {
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text())
  })
  return problems
}
