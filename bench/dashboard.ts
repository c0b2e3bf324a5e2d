/**
 * The dashboard in a real browser (Debian's chromium, headless) on the benchmark's year:
 *
 * - Time to first chart: the time from navigation to the first stacked-bar chart drawn, read from
 *   the page itself (`performance.now()` when uPlot first draws). A fresh browser context per
 *   run: nothing cached.
 * - Interaction: from a click (or a change of the address) that changes the range or the grouping
 *   to the chart of the new range or grouping drawn (the page marks when it first draws each), on
 *   a page that has finished loading what the last interaction asked for, as a person who looks
 *   before clicking again. The year's grouping cycled, a day opened from the year's calendar, the
 *   day before, the year's last month, the month before and after, back to the year.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Page } from 'playwright-core'
import { dashboardSkipReason, launchChromium } from '../test/e2e/dashboard.ts'

export interface DashboardResult {
  /** Why nothing was measured (no chromium, page not built). */
  skipped?: string
  runs: number[]
  first?: number
  median?: number
  /** Active seconds the first chart showed (a chart of nothing would be fast and wrong). */
  chartSeconds?: number
  /** Milliseconds from each interaction to its chart drawn. */
  interactions?: { samples: number[]; p50: number; p95: number }
}

/** The nearest-rank percentile `p` (0–100) of `values`. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
}

// The page's code below is given as source: the bench type-checks against Node, not the DOM. It
// is polled from here: the page's CSP refuses the string evaluation of `waitForFunction`.
const BARS = '[data-testid="bars"]'
const SETTLED = `document.querySelectorAll('[aria-busy="true"]').length === 0`

/** Polls `expression` in the page until it is true (what is timed is read from the page). */
async function until(page: Page, expression: string): Promise<void> {
  const deadline = Date.now() + 120_000
  while (!(await page.evaluate<boolean>(expression))) {
    if (Date.now() > deadline) throw new Error(`the dashboard never showed ${expression}`)
    await sleep(5)
  }
}

/**
 * Runs `action` (page source) and returns the milliseconds until the stacked bars draw something
 * else than before it, then waits until the page has loaded everything else.
 */
async function interaction(page: Page, action: string): Promise<number> {
  const before = (await page.locator(BARS).getAttribute('data-key')) ?? ''
  const t0 = await page.evaluate<number>(
    `(() => { const t = performance.now(); ${action}; return t })()`,
  )
  await until(
    page,
    `(() => {
      const el = document.querySelector('${BARS}')
      return el !== null && el.dataset.key !== ${JSON.stringify(before)} &&
        Number(el.dataset.keyDrawnAt) >= ${t0}
    })()`,
  )
  const drawnAt = Number(await page.locator(BARS).getAttribute('data-key-drawn-at'))
  await until(page, SETTLED)
  return drawnAt - t0
}

const click = (selector: string) => `document.querySelector(${JSON.stringify(selector)}).click()`
const address = (hash: string) => `location.hash = ${JSON.stringify(hash)}`

export async function measureDashboard(options: {
  port: number
  token: string
  year: number
  timeZone: string
  runs: number
  /** Rounds of the interactions (ten each); none when 0. */
  rounds?: number
}): Promise<DashboardResult> {
  const skipped = dashboardSkipReason()
  if (skipped !== undefined) return { skipped, runs: [] }
  const browser = await launchChromium()
  const yearHash = `#/year/${options.year}-01-01?tz=${encodeURIComponent(options.timeZone)}`
  const open = async () => {
    const context = await browser.newContext({
      timezoneId: options.timeZone,
      viewport: { width: 1280, height: 900 },
    })
    // Signed in as a person would be after `daybook open`: the session in sessionStorage.
    await context.addInitScript(
      `sessionStorage.setItem('daybook.session', ${JSON.stringify(
        JSON.stringify({ token: options.token, scope: 'admin', expiresAt: null }),
      )})`,
    )
    const page = await context.newPage()
    await page.goto(`http://127.0.0.1:${options.port}/${yearHash}`)
    const chart = page.locator(`${BARS}[data-drawn-at]`)
    await chart.waitFor({ timeout: 120_000 })
    return { context, page, chart }
  }
  try {
    const runs: number[] = []
    let chartSeconds = 0
    for (let i = 0; i < options.runs; i++) {
      const { context, page, chart } = await open()
      runs.push(Number(await chart.getAttribute('data-drawn-at')))
      chartSeconds = Number(await chart.getAttribute('data-total'))
      // The page goes on loading its other panels after the first chart; closing now would leave
      // those queries running in the daemon and slow the next run's first chart.
      await page.waitForLoadState('networkidle')
      await context.close()
    }
    const sorted = [...runs].sort((a, b) => a - b)
    const result: DashboardResult = {
      runs,
      first: runs[0],
      median: sorted[Math.floor(sorted.length / 2)],
      chartSeconds,
    }

    const rounds = options.rounds ?? 0
    if (rounds > 0) {
      const { context, page } = await open()
      await until(page, SETTLED)
      const group = (n: number) => click(`[aria-label="Stack by"] button:nth-child(${n})`)
      const y = options.year
      const steps = [
        group(2), // project
        group(3), // language
        group(4), // app
        group(1), // category
        click(`[data-testid="year-calendar"] [data-date="${y}-11-30"]`),
        click('[aria-label="Previous period"]'),
        address(`#/month/${y}-12-01?tz=${encodeURIComponent(options.timeZone)}`),
        click('[aria-label="Previous period"]'),
        click('[aria-label="Next period"]'),
        address(yearHash),
      ]
      const samples: number[] = []
      for (let r = 0; r < rounds; r++) {
        for (const step of steps) samples.push(await interaction(page, step))
      }
      await context.close()
      result.interactions = {
        samples,
        p50: percentile(samples, 50),
        p95: percentile(samples, 95),
      }
    }
    return result
  } finally {
    await browser.close()
  }
}
