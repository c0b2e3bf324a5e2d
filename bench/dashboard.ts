/**
 * The dashboard's time to first chart: a real browser (Debian's chromium, headless) opens the
 * page on the benchmark's year and the time from navigation to the first stacked-bar chart drawn
 * is read from the page itself (`performance.now()` when uPlot first draws). A fresh browser
 * context per run: nothing cached.
 */
import { dashboardSkipReason, launchChromium } from '../test/e2e/dashboard.ts'

export interface DashboardResult {
  /** Why nothing was measured (no chromium, page not built). */
  skipped?: string
  runs: number[]
  first?: number
  median?: number
  /** Active seconds the first chart showed (a chart of nothing would be fast and wrong). */
  chartSeconds?: number
}

export async function measureDashboard(options: {
  port: number
  token: string
  year: number
  timeZone: string
  runs: number
}): Promise<DashboardResult> {
  const skipped = dashboardSkipReason()
  if (skipped !== undefined) return { skipped, runs: [] }
  const browser = await launchChromium()
  try {
    const runs: number[] = []
    let chartSeconds = 0
    for (let i = 0; i < options.runs; i++) {
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
      const url = `http://127.0.0.1:${options.port}/#/year/${options.year}-01-01?tz=${encodeURIComponent(options.timeZone)}`
      await page.goto(url)
      const chart = page.locator('[data-testid="bars"][data-drawn-at]')
      await chart.waitFor({ timeout: 120_000 })
      runs.push(Number(await chart.getAttribute('data-drawn-at')))
      chartSeconds = Number(await chart.getAttribute('data-total'))
      // The page goes on loading its other panels after the first chart; closing now would leave
      // those queries running in the daemon and slow the next run's first chart.
      await page.waitForLoadState('networkidle')
      await context.close()
    }
    const sorted = [...runs].sort((a, b) => a - b)
    return {
      runs,
      first: runs[0],
      median: sorted[Math.floor(sorted.length / 2)],
      chartSeconds,
    }
  } finally {
    await browser.close()
  }
}
