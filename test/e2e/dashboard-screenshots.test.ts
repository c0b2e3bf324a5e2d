/**
 * The dashboard's screenshots in a real browser (chromium through playwright-core) against the
 * real daemon: the header says when capture is on; "What was on screen" finds a frame by its
 * text, shows its thumbnail (loaded with the session token) and jumps to its day on the
 * timeline; hovering the timeline at that moment shows the frame. Skips where chromium or the
 * built page is missing.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import sharp from 'sharp'
import { runCli, startInProcess } from '../daemon.ts'
import { dashboardSkipReason, launchChromium } from './dashboard.ts'

const HOUR = 3_600_000

/** The page's document, as far as these checks read it (the tests compile without the DOM's types). */
interface PageDocument {
  querySelector(selector: string): { complete: boolean; naturalWidth: number } | null
}

/** Runs in the page: the image at `selector` has loaded, as the 64-pixel-wide test frame. */
function loaded(selector: string): boolean {
  const img = (globalThis as unknown as { document: PageDocument }).document.querySelector(selector)
  return img !== null && img.complete && img.naturalWidth === 64
}

test('the dashboard shows capture, finds what was on screen, and shows frames on the timeline', async (t) => {
  const skip = dashboardSkipReason()
  if (skip !== undefined) return t.skip(skip)
  const d = await startInProcess(t)
  const base = `http://127.0.0.1:${d.discovery.port ?? 0}`
  const call = async (method: string, url: string, body?: unknown): Promise<unknown> => {
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
  await call('PUT', '/v1/settings', { timezone: 'UTC' })
  const todayStart = Math.floor(Date.now() / (24 * HOUR)) * 24 * HOUR
  const yesterday = new Date(todayStart - 24 * HOUR).toISOString().slice(0, 10)
  const at = todayStart - 24 * HOUR + 10.5 * HOUR
  await call('POST', '/v1/events', [
    {
      timestamp: new Date(at - 30 * 60_000).toISOString(),
      end_timestamp: new Date(at + 30 * 60_000).toISOString(),
      category: 'Browsing',
      app_name: 'Firefox',
      entity_name: 'https://docs.example/q3',
      entity_type: 'Url',
      project_name: 'docs.example',
      source_name: 'daybook-window',
    },
  ])
  await call('POST', '/v1/settings/screenshot/config', { enabled: true })
  const image = await sharp({
    create: { width: 64, height: 40, channels: 3, background: { r: 30, g: 120, b: 200 } },
  })
    .webp()
    .toBuffer()
  await call('POST', '/v1/screenshots', {
    timestamp: at / 1000,
    device: 'desk',
    app: 'firefox',
    title: 'Q3 numbers',
    url: 'https://docs.example/q3',
    width: 64,
    height: 40,
    hash: '00ff00ff00ff00ff',
    text: 'The quarterly revenue chart for the board',
    ocrMs: 700,
    image: image.toString('base64'),
  })

  const browser = await launchChromium()
  t.after(() => browser.close())
  const ctx = await browser.newContext({
    timezoneId: 'UTC',
    viewport: { width: 1280, height: 900 },
  })
  const page = await ctx.newPage()
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text())
  })
  const open = await runCli(
    ['open', '--no-browser', '--data-dir', d.dataDir, '--config-dir', d.configDir],
    { DISPLAY: '', WAYLAND_DISPLAY: '' },
  )
  assert.equal(open.code, 0, open.stderr)
  const url = /http:\/\/\S+#code=\S+/.exec(open.stdout)?.[0]
  assert.ok(url, open.stdout)
  await page.goto(url)
  await page.waitForSelector('[data-testid="capture-indicator"]')

  // The search: one hit, its thumbnail loaded, its words marked; it jumps to yesterday.
  await page.fill('[data-testid="screens-query"]', 'revenue chart')
  await page.press('[data-testid="screens-query"]', 'Enter')
  await page.waitForSelector('[data-testid="screens-hits"] li')
  assert.equal(await page.locator('[data-testid="screens-hits"] li').count(), 1)
  assert.deepEqual(await page.locator('[data-testid="screens-hits"] mark').allTextContents(), [
    'revenue',
    'chart',
  ])
  await page.waitForFunction(loaded, '[data-testid="screens-hits"] img')
  await page.click('[data-testid="screens-hits"] button')
  await page.waitForSelector('[data-testid="timeline"][data-events="1"]')
  // The timeline shows the hit's day (yesterday), opened on its hours with data.
  const timeline = page.locator('[data-testid="timeline"]')
  const viewStart = Number(await timeline.getAttribute('data-view-start'))
  const viewEnd = Number(await timeline.getAttribute('data-view-end'))
  assert.ok(viewStart <= at && at <= viewEnd, `${yesterday} 10:30 in the timeline's view`)
  assert.ok(
    viewStart >= todayStart - 24 * HOUR && viewEnd <= todayStart,
    `the view is ${yesterday}`,
  )

  // Hovering the timeline at 10:30 shows that frame.
  const tracks = page.locator('[data-testid="timeline"] .tl-tracks')
  const box = await tracks.boundingBox()
  assert.ok(box)
  const x = box.x + (box.width * (at - viewStart)) / (viewEnd - viewStart)
  await page.mouse.move(x, box.y + box.height / 2)
  await page.waitForFunction(loaded, '[data-testid="timeline-thumb"] img')
  assert.match((await page.textContent('[data-testid="timeline-thumb"]')) ?? '', /firefox/)

  // Capture off: the header no longer says it is on.
  await call('POST', '/v1/settings/screenshot/config', { enabled: false })
  await page.reload()
  await page.waitForSelector('[data-testid="timeline"]')
  assert.equal(await page.locator('[data-testid="capture-indicator"]').count(), 0)
  assert.deepEqual(problems, [])
})
