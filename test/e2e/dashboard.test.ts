/**
 * The dashboard in a real browser against the real daemon: sign-in through `daybook open`'s
 * link, totals and the project breakdown against the API's own numbers, switching ranges,
 * filtering by a breakdown row and by a bar segment, adding a label by Shift-dragging across the
 * timeline, a posted event appearing live, and a used, unknown or expired sign-in code refused or
 * a fresh one pasted into an open tab. Screenshots of the main views go to a temp directory, named
 * in the test output; the views added since (test/e2e/dashboard-views.test.ts) have their own.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatDuration } from '../../web/src/format.ts'
import { runCli, startInProcess } from '../daemon.ts'
import { startApp } from '../helpers.ts'
import {
  daemonApi,
  dashboardEvent as event,
  fileChromium,
  skipWithoutDashboard,
  HOUR,
  screenshots,
  settled,
  waitCount,
  waitText,
  waitUntil,
  watchProblems,
} from './dashboard.ts'

/** One browser for the file's three tests, each in contexts of its own. */
const chromium = fileChromium()

test('the dashboard in a real browser', async (t) => {
  if (skipWithoutDashboard(t)) return
  const d = await startInProcess(t)
  const call = daemonApi(d)
  const browser = await chromium()
  const shot = screenshots(t)

  // The data: yesterday (UTC) from 09:00, three projects; hour 10 is all Coding.
  await call('PUT', '/v1/settings', { timezone: 'UTC' })
  const todayStart = Math.floor(Date.now() / (24 * HOUR)) * 24 * HOUR
  const y = todayStart - 24 * HOUR + 9 * HOUR
  await call('POST', '/v1/events', [
    event(y, 60, 'alpha', 'Browsing', 'Firefox'),
    event(y + HOUR, 60, 'alpha', 'Coding', 'Code'),
    event(y + 2 * HOUR, 45, 'beta', 'Coding', 'Code'),
    event(y + 3 * HOUR, 20, 'gamma', 'Browsing', 'Firefox'),
    event(y + 4 * HOUR, 50, 'beta', 'Coding', 'Code'),
  ])
  // Keyboard and mouse counts in yesterday's 10:00 hour.
  await call('POST', '/v1/input', {
    source: 'daybook-input',
    buckets: [
      { id: 'e2e-1', timestamp_ms: y + HOUR, kp: 120, lc: 5, rc: 1, mc: 1, mm: 300, scroll: 4 },
      {
        id: 'e2e-2',
        timestamp_ms: y + HOUR + 300_000,
        kp: 30,
        lc: 2,
        rc: 0,
        mc: 0,
        mm: 90,
        scroll: 0,
      },
    ],
  })
  const total = (query: string) =>
    call('GET', `/v1/summary/total?tz=UTC&${query}`) as Promise<number>

  const ctx = await browser.newContext({
    timezoneId: 'UTC',
    locale: 'en-GB',
    viewport: { width: 1280, height: 900 },
  })
  t.after(() => ctx.close())
  const page = await ctx.newPage()
  const problems = watchProblems(page)

  await t.test(
    'signs in through the link of daybook open, which then no longer works',
    async () => {
      const open = await runCli(
        ['open', '--no-browser', '--data-dir', d.dataDir, '--config-dir', d.configDir],
        { DISPLAY: '', WAYLAND_DISPLAY: '' },
      )
      assert.equal(open.code, 0, open.stderr)
      const url = /http:\/\/\S+#code=\S+/.exec(open.stdout)?.[0]
      assert.ok(url, `no sign-in URL in ${JSON.stringify(open.stdout)}`)
      await page.goto(url)
      await page.waitForSelector('[data-testid="total-active"]')
      assert.ok(!page.url().includes('code='), `the code stays in the address: ${page.url()}`)
      const session = await page.evaluate(() => sessionStorage.getItem('daybook.session'))
      assert.equal(JSON.parse(session ?? '{}').scope, 'data')

      const again = await ctx.newPage()
      await again.goto(url)
      await again.waitForSelector('[data-testid="sign-in-error"]')
      assert.match(
        (await again.textContent('[data-testid="sign-in-error"]')) ?? '',
        /already used or has expired/,
      )
      await again.close()
      // A new tab: a link that differs only after `#` is no navigation for an open page.
      const unknown = await ctx.newPage()
      await unknown.goto(url.replace(/#code=.*/, '#code=never-issued-code'))
      await unknown.waitForSelector('[data-testid="sign-in-error"]')
      assert.match(
        (await unknown.textContent('[data-testid="sign-in-error"]')) ?? '',
        /already used or has expired/,
      )
      await unknown.close()
    },
  )

  await t.test('totals and the project breakdown are the API’s numbers', async () => {
    await page.click('[data-testid="range-picker"] >> text=Yesterday')
    await waitText(page, 'total-active', formatDuration(await total('preset=yesterday')))
    const projects = ['alpha', 'beta', 'gamma']
    await waitCount(page, '[data-testid="breakdown-projects"] [data-testid="breakdown-row"]', 3)
    const rows = await page.$$eval(
      '[data-testid="breakdown-projects"] [data-testid="breakdown-row"]',
      (els) => els.map((e) => e.textContent ?? ''),
    )
    for (const name of projects) {
      const seconds = await total(`preset=yesterday&projects[0]=${name}`)
      const row = rows.find((r) => r.startsWith(name))
      assert.ok(row, `no row for ${name} in ${JSON.stringify(rows)}`)
      assert.ok(row.includes(formatDuration(seconds)), `${name}: ${row} vs ${seconds} s`)
    }
    await page.waitForSelector('[data-testid="timeline"][data-events="5"]')
    await page.waitForSelector('[data-testid="timeline"] .seg.input')

    // The timeline by keyboard: a lane takes focus, the arrow keys step through its stretches.
    const details = page.locator('[data-testid="timeline-details"]')
    const showing = async (prefix: string) =>
      waitUntil(
        async () => ((await details.textContent()) ?? '').startsWith(prefix),
        async () => `timeline details: expected ${prefix}…, shows ${await details.textContent()}`,
      )
    await page.focus('[data-testid="timeline"] .tl-lane[aria-label^="wakatime-vscode"]')
    await showing('10:00–11:00 (1h) · Coding · Code · src/alpha/index.ts · project alpha')
    await page.keyboard.press('ArrowRight')
    await showing('11:00–11:45 (45m) · Coding · Code · src/beta/index.ts')

    // The heatmap: each cell the API reports, on the page with its counts.
    const heatmap = (await call('GET', '/v1/input/heatmap?tz=UTC&preset=yesterday')) as {
      cells: { weekday: number; hour: number; keys: number; clicks: number }[]
    }
    assert.equal(heatmap.cells.length, 1, JSON.stringify(heatmap))
    const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']
    for (const c of heatmap.cells) {
      const name = `${days[c.weekday - 1] ?? ''} ${String(c.hour).padStart(2, '0')}:00: ${c.keys} keys, ${c.clicks} clicks`
      await page.waitForSelector(`[data-testid="heatmap"] td[aria-label="${name}"]`)
    }
    await shot(page, 'overview-yesterday')
  })

  await t.test('switching ranges', async () => {
    await page.click('[data-testid="range-picker"] >> text=This week')
    await waitText(page, 'total-active', formatDuration(await total('preset=thisWeek')))
    await page.click('[data-testid="range-picker"] >> text=This month')
    await waitText(page, 'total-active', formatDuration(await total('preset=thisMonth')))
    await page.click('[data-testid="range-picker"] >> text=Yesterday')
    await waitText(page, 'total-active', formatDuration(await total('preset=yesterday')))
  })

  await t.test('clicking a breakdown row or a bar segment filters everything', async () => {
    await page.click(
      '[data-testid="breakdown-projects"] [data-testid="breakdown-row"][data-name="beta"] button',
    )
    await waitText(
      page,
      'total-active',
      formatDuration(await total('preset=yesterday&projects[0]=beta')),
    )
    await waitCount(page, '[data-testid="breakdown-apps"] [data-testid="breakdown-row"]', 1)
    await shot(page, 'filtered-project')
    await page.click('[data-testid="filter-chip"]')
    await waitText(page, 'total-active', formatDuration(await total('preset=yesterday')))

    // Hour 10 of yesterday is all Coding, the bottom of the stack (the largest category).
    // The bars drawn for the whole day again: their sum is the day's total.
    const plot = page.locator(
      `[data-testid="bars"][data-total="${await total('preset=yesterday')}"] .u-over`,
    )
    await settled(page)
    await plot.scrollIntoViewIfNeeded()
    const over = await plot.boundingBox()
    assert.ok(over)
    await page.mouse.move(over.x + (over.width * 10.5) / 24, over.y + over.height - 4)
    await page.mouse.click(over.x + (over.width * 10.5) / 24, over.y + over.height - 4)
    await waitText(
      page,
      'total-active',
      formatDuration(await total('preset=yesterday&categories[0]=Coding')),
    )
    assert.match((await page.textContent('[data-testid="filter-chip"]')) ?? '', /category Coding/)
    await page.click('[data-testid="filter-chip"]')
    await waitText(page, 'total-active', formatDuration(await total('preset=yesterday')))
  })

  await t.test(
    'a category rule shows alike in the breakdown, the bars and the timeline',
    async () => {
      const before = await call('GET', '/v1/settings/categories')
      await call('PUT', '/v1/settings/categories', {
        rules: [{ match: 'app', pattern: '^firefox$', category: 'Research' }],
      })
      const chip = page.locator('[data-testid="filter-chip"]')
      try {
        // Yesterday's Firefox time (09:00 for an hour, 12:00 for 20 minutes), sent as `Browsing`.
        const research = await total('preset=yesterday&categories[0]=Research')
        assert.equal(research, 80 * 60)
        const row =
          '[data-testid="breakdown-categories"] [data-testid="breakdown-row"][data-name="Research"]'
        await waitUntil(
          async () =>
            ((await page.locator(row).textContent()) ?? '').includes(formatDuration(research)),
          async () => `the Research row shows ${await page.locator(row).textContent()}`,
        )
        await settled(page)
        await page.click(`${row} button`)
        await waitText(page, 'total-active', formatDuration(research))
        await page.waitForSelector(`[data-testid="bars"][data-total="${research}"]`)
        // The timeline lists what the filter counts, each stretch under the rule's category.
        await page.waitForSelector('[data-testid="timeline"][data-events="2"]')
        await settled(page)
        const details = page.locator('[data-testid="timeline-details"]')
        await page.focus('[data-testid="timeline"] .tl-lane[aria-label^="daybook-window"]')
        await page.keyboard.press('Home')
        const expected = '09:00–10:00 (1h) · Research · Firefox'
        await waitUntil(
          async () => ((await details.textContent()) ?? '').startsWith(expected),
          async () =>
            `timeline details: expected ${expected}…, shows ${await details.textContent()}`,
        )
      } finally {
        // The page as the next steps expect it: the default rules, no filter.
        await call('PUT', '/v1/settings/categories', before)
        if ((await chip.count()) > 0) await chip.click()
      }
      await waitText(page, 'total-active', formatDuration(await total('preset=yesterday')))
      await page.waitForSelector(
        '[data-testid="breakdown-categories"] [data-testid="breakdown-row"][data-name="Browsing"]',
      )
    },
  )

  await t.test('a label is added by Shift-dragging across the timeline', async () => {
    await page.waitForSelector('[data-testid="timeline"][data-events="5"]')
    await settled(page)
    const timeline = page.locator('[data-testid="timeline"]')
    // The timeline opens on the hours that have data: 09:00 to 14:00 (the last ends 13:50).
    const view = {
      start: Number(await timeline.getAttribute('data-view-start')),
      end: Number(await timeline.getAttribute('data-view-end')),
    }
    assert.deepEqual(view, { start: y, end: y + 5 * HOUR })
    const lanes = page.locator('[data-testid="timeline"] .tl-tracks')
    await lanes.scrollIntoViewIfNeeded()
    const tracks = await lanes.boundingBox()
    assert.ok(tracks)
    // 09:00 to 12:00 of the day, on the view's scale.
    const x = (hour: number) =>
      tracks.x + (tracks.width * (y + (hour - 9) * HOUR - view.start)) / (view.end - view.start)
    const yMid = tracks.y + tracks.height / 2
    const onLanes = await page.evaluate(
      `document.elementFromPoint(${x(9)}, ${yMid})?.closest('.tl-tracks') != null`,
    )
    assert.ok(onLanes, `09:00 at (${x(9)}, ${yMid}) is not on the lanes: ${JSON.stringify(tracks)}`)
    await page.mouse.move(x(9) + 1, yMid)
    await page.keyboard.down('Shift')
    await page.mouse.down()
    await page.mouse.move(x(10.5), yMid, { steps: 4 })
    await page.mouse.move(x(12), yMid, { steps: 4 })
    await page.mouse.up()
    await page.keyboard.up('Shift')
    await page.fill('form[aria-label="New label"] input[type="text"]', 'Design review')
    await page.click('form[aria-label="New label"] button[type="submit"]')
    await page.waitForSelector('[data-testid="timeline-label"]:has-text("Design review")')
    const labels = (await call('GET', '/v1/labels')) as {
      text: string
      startUtc: number
      endUtc: number
    }[]
    const label = labels.find((l) => l.text === 'Design review')
    assert.ok(label, JSON.stringify(labels))
    // Within a few minutes of 09:00–12:00 (a pixel is well under a minute).
    assert.ok(Math.abs(label.startUtc * 1000 - y) <= 3 * 60_000, `start ${label.startUtc}`)
    assert.ok(Math.abs(label.endUtc * 1000 - (y + 3 * HOUR)) <= 3 * 60_000, `end ${label.endUtc}`)
    // Labelling is no zoom: the view is as it was.
    assert.equal(Number(await timeline.getAttribute('data-view-start')), view.start)
    assert.equal(Number(await timeline.getAttribute('data-view-end')), view.end)
    await shot(page, 'timeline-label')
  })

  await t.test('a posted event appears without reloading', async () => {
    await page.click('[data-testid="range-picker"] >> text=Today')
    await waitText(page, 'total-active', formatDuration(await total('preset=today')))
    await page.waitForSelector('[data-testid="live-indicator"][data-state="live"]')
    await page.evaluate('window.notReloaded = true')
    const now = Date.now()
    await call('POST', '/v1/events', [event(now - 25 * 60_000, 25, 'delta', 'Coding', 'Code')])
    await waitText(page, 'total-active', formatDuration(await total('preset=today')))
    await page.waitForSelector('[data-testid="breakdown-row"][data-name="delta"]')
    assert.equal(await page.evaluate('window.notReloaded'), true)
    await shot(page, 'live-today')
  })

  await t.test('status and settings', async () => {
    await page.click('nav >> text=Status')
    await page.waitForSelector('[data-testid="collector-row"]')
    const sources = await page.$$eval('[data-testid="collector-row"] td:first-child', (els) =>
      els.map((e) => e.textContent),
    )
    assert.ok(
      sources.includes('wakatime-vscode') && sources.includes('daybook-window'),
      String(sources),
    )
    await shot(page, 'status')
    await page.click('nav >> text=Settings')
    // A data session cannot change settings: the page says how to get an admin one.
    await page.waitForSelector('[data-testid="needs-admin"]')
    await shot(page, 'settings')
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.click('nav >> text=Overview')
    await page.waitForSelector('[data-testid="bars"][data-drawn-at]')
    await shot(page, 'overview-dark')
  })

  await t.test('an admin session lists, creates and revokes tokens', async () => {
    const open = await runCli(
      ['open', '--admin', '--no-browser', '--data-dir', d.dataDir, '--config-dir', d.configDir],
      { DISPLAY: '', WAYLAND_DISPLAY: '' },
    )
    const url = /http:\/\/\S+#code=\S+/.exec(open.stdout)?.[0]
    assert.ok(url, open.stdout + open.stderr)
    const admin = await ctx.newPage()
    admin.on('dialog', (dialog) => void dialog.accept())
    await admin.goto(url)
    await admin.waitForSelector('[data-testid="total-active"]')
    await admin.click('nav >> text=Settings')
    // The two sign-ins so far are sessions, listed like any token.
    await waitCount(admin, '[data-testid="tokens"] tr:has-text("dashboard session")', 2)
    await admin.fill('form:has(button:text("Create token")) input', 'e2e script')
    await admin.selectOption('form:has(button:text("Create token")) select >> nth=0', 'read_only')
    await admin.click('button:text("Create token")')
    const secret = (await admin.locator('[data-testid="new-token"]').textContent()) ?? ''
    assert.match(secret, /^sk-/)
    const row = admin.locator('[data-testid="tokens"] tr:has-text("e2e script")')
    await row.locator('button:text("Revoke")').click()
    await row.locator('td:text("revoked")').waitFor()
    const tokens = (await call('GET', '/v1/auth/tokens')) as { name: string; revoked: boolean }[]
    assert.equal(tokens.find((x) => x.name === 'e2e script')?.revoked, true)
    await admin.close()
  })

  await t.test('a revoked session returns to the sign-in with the reason', async () => {
    const tokens = (await call('GET', '/v1/auth/tokens')) as {
      id: string
      acl: string
      name: string
    }[]
    const session = tokens.find((x) => x.name === 'dashboard session' && x.acl === 'data')
    assert.ok(session)
    await call('POST', '/v1/auth/tokens/revoke', { id: session.id })
    await page.click('[data-testid="range-picker"] >> text=Last week')
    await page.waitForSelector('[data-testid="sign-in-error"]')
    assert.equal(await page.evaluate('sessionStorage.getItem("daybook.session")'), null)
    await shot(page, 'sign-in')
  })

  // The browser logs the 401s of the session revoked at the end.
  assert.deepEqual(
    problems.filter((p) => !p.includes('401')),
    [],
  )
})

test('a sign-in link past its two minutes is refused in the browser; a fresh one signs in', async (t) => {
  if (skipWithoutDashboard(t)) return
  // The daemon in this process, listening on a real port, so that its clock can be moved on.
  const start = Date.now()
  const { app, call, setNow } = await startApp(t, { now: start })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const link = async (): Promise<string> => {
    const res = await call({ method: 'POST', url: '/v1/session/codes', payload: { scope: 'data' } })
    assert.equal(res.statusCode, 201, res.body)
    return res.json<{ url: string }>().url
  }
  const browser = await chromium()
  const ctx = await browser.newContext()
  t.after(() => ctx.close())
  const page = await ctx.newPage()

  const late = await link()
  setNow(start + 120_000)
  const fresh = await link()
  await page.goto(late)
  await page.waitForSelector('[data-testid="sign-in-error"]')
  assert.match(
    (await page.textContent('[data-testid="sign-in-error"]')) ?? '',
    /already used or has expired/,
  )
  // The README's advice after a 401: paste a fresh link into the tab already open. Only the hash
  // changes, so the browser loads nothing; the page must take the code itself.
  await page.evaluate(`location.hash = ${JSON.stringify(new URL(fresh).hash)}`)
  await page.waitForSelector('[data-testid="total-active"]')
  assert.ok(!page.url().includes('code='), `the code stays in the address: ${page.url()}`)
  assert.equal(
    JSON.parse((await page.evaluate('sessionStorage.getItem("daybook.session")')) ?? '{}').scope,
    'data',
  )
})

test('a sign-in link pasted into a tab open on the sign-in signs in', async (t) => {
  if (skipWithoutDashboard(t)) return
  const { app, call } = await startApp(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const ctx = await (await chromium()).newContext()
  t.after(() => ctx.close())
  const page = await ctx.newPage()
  const res = await call({ method: 'POST', url: '/v1/session/codes', payload: { scope: 'admin' } })
  assert.equal(res.statusCode, 201, res.body)
  const link = new URL(res.json<{ url: string }>().url)
  // Signed out, on a view of the overview.
  await page.goto(`${link.origin}/#/week/2025-03-03`)
  await page.waitForSelector('[data-testid="sign-in"]')
  await page.evaluate(`location.hash = ${JSON.stringify(link.hash)}`)
  await page.waitForSelector('[data-testid="total-active"]')
  assert.ok(!page.url().includes('code='), `the code stays in the address: ${page.url()}`)
  assert.equal(
    JSON.parse((await page.evaluate('sessionStorage.getItem("daybook.session")')) ?? '{}').scope,
    'admin',
  )
})
