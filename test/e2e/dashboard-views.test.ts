/**
 * The dashboard's views in a real browser against the real daemon, each against the API's own
 * numbers: the timeline (opens on the hours that have data, zooms by drag, wheel and toolbar,
 * resets, labels while "Label a range" is pressed, never draws a stretch as a hairline), the year
 * at a glance (a day's shade and time, a click or the keyboard opens a day), the hour-of-day and
 * weekday profiles, Compare (the previous period, two chosen ranges), the CSV export, the legend's
 * smaller groups and the category Other, the layout at 1280, 1440, 1920 and 390 pixels, the
 * category rules' boxes, every control's name, and times in the browser's locale. Screenshots of
 * every view, light and dark, at 1280 and 390 go to a temp directory named in the output.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { DaybookApi } from '../../src/client/api.ts'
import { formatDuration } from '../../web/src/format.ts'
import { dayTotals, weekdayProfile } from '../../web/src/profile.ts'
import { customPreset } from '../../web/src/range.ts'
import { startInProcess } from '../daemon.ts'
import {
  daemonApi,
  dashboardEvent as event,
  skipWithoutDashboard,
  HOUR,
  launchChromium,
  screenshots,
  settled,
  waitText,
  waitUntil,
  watchProblems,
} from './dashboard.ts'

const DAY = 24 * HOUR
const date = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const LONG_PATTERN =
  '^(jetbrains-idea|pycharm|goland|webstorm|clion|rider|android-studio|sublime_text|gnome-builder)$'

// The checks below run in the page, given as source: this project's type-check knows Node, not
// the DOM.

/** What is wrong with the layout: rows of cards not filled, cards not stacked on a phone. */
const LAYOUT_PROBLEMS = `(() => {
  const out = []
  const narrow = innerWidth <= 420
  const pageWidth = document.scrollingElement.scrollWidth
  if (pageWidth > innerWidth) out.push('the page is ' + pageWidth + 'px wide in ' + innerWidth)
  const name = (e) => e.getAttribute('aria-label') ?? e.className
  for (const row of document.querySelectorAll('.cards')) {
    const box = row.getBoundingClientRect()
    const cards = [...row.children].filter((c) => c.getBoundingClientRect().width > 0)
    const lines = new Map()
    for (const c of cards) {
      const top = Math.round(c.getBoundingClientRect().top)
      lines.set(top, [...(lines.get(top) ?? []), c])
    }
    for (const line of lines.values()) {
      const rects = line.map((c) => c.getBoundingClientRect())
      const left = Math.min(...rects.map((r) => r.left))
      const right = Math.max(...rects.map((r) => r.right))
      if (left - box.left > 1.5 || box.right - right > 1.5) {
        out.push(innerWidth + 'px: a row of ' + line.map(name).join(', ') + ' spans ' +
          Math.round(left) + '–' + Math.round(right) + ' of ' + Math.round(box.left) + '–' +
          Math.round(box.right))
      }
    }
    if (narrow) {
      for (const c of cards) {
        const w = c.getBoundingClientRect().width
        if (Math.abs(w - box.width) > 1) out.push(name(c) + ': ' + w + 'px of ' + box.width + 'px')
      }
    }
  }
  const main = document.querySelector('main')
  if (narrow && main) {
    const width = main.getBoundingClientRect().width
    for (const c of main.querySelectorAll(':scope > .card')) {
      const w = c.getBoundingClientRect().width
      if (Math.abs(w - width) > 1) out.push(name(c) + ': ' + w + 'px of ' + width + 'px')
    }
  }
  return out
})()`

/** Controls a person cannot tell apart by ear: no text, label, aria-label or title. */
const UNNAMED_CONTROLS = `[...document.querySelectorAll('button, input, select, textarea, [tabindex="0"]')]
  .filter((e) => e.getClientRects().length > 0)
  .filter((e) =>
    !((e.getAttribute('aria-label') ?? '').trim() !== '' ||
      (e.getAttribute('title') ?? '').trim() !== '' ||
      (e.labels?.length ?? 0) > 0 ||
      (e.tagName === 'BUTTON' && e.textContent.trim() !== '')))
  .map((e) => e.outerHTML.slice(0, 120))`

/** The opacity and colour a selector's first element is drawn in. */
const look = (selector: string) => `(() => {
  const s = getComputedStyle(document.querySelector(${JSON.stringify(selector)}))
  return { opacity: s.opacity, color: s.color }
})()`

test('the dashboard’s views in a real browser', async (t) => {
  if (skipWithoutDashboard(t)) return
  const d = await startInProcess(t)
  const call = daemonApi(d)
  const base = `http://127.0.0.1:${d.discovery.port ?? 0}`
  const client = new DaybookApi({ baseUrl: base, token: d.token })
  const browser = await launchChromium()
  t.after(() => browser.close())
  const shot = screenshots(t)

  await call('PUT', '/v1/settings', { timezone: 'UTC' })
  await call('PUT', '/v1/settings/categories', {
    rules: [{ match: 'app', pattern: LONG_PATTERN, category: 'Coding' }],
  })
  // Two rules for the Hooks page, neither due to fire.
  await call('POST', '/v1/hooks', [
    {
      id: 'break-reminder',
      name: 'Break reminder',
      enabled: false,
      when: { kind: 'no_break', minutes: 50, breakMinutes: 5 },
      then: [{ kind: 'notify', message: 'Time for a break' }],
    },
    {
      id: 'social-budget',
      name: 'Social budget',
      when: { kind: 'budget', match: { url: ['example.social'] }, minutes: 600 },
      then: [{ kind: 'notify', message: 'Ten hours of social media today' }],
    },
  ])
  const today = Math.floor(Date.now() / DAY) * DAY
  const yStart = today - DAY
  const y = yStart + 9 * HOUR
  const Y = date(yStart)
  // Four days earlier: eleven apps (seven are drawn, four go together), some in the category
  // Other.
  const d3Start = yStart - 3 * DAY
  const D3 = date(d3Start)
  const apps = ['Mail', 'Chat', 'Notes', 'Music', 'Shell', 'Slides', 'Sheets', 'Maps', 'Photos']
  await call('POST', '/v1/events', [
    event(y, 60, 'alpha', 'Browsing', 'Firefox'),
    event(y + HOUR, 60, 'alpha', 'Coding', 'Code'),
    event(y + 2 * HOUR, 45, 'beta', 'Coding', 'Code'),
    event(y + 3 * HOUR, 20, 'gamma', 'Browsing', 'Firefox'),
    event(y + 4 * HOUR, 50, 'beta', 'Coding', 'Code'),
    // Two minutes: a sliver of a whole day.
    event(y + 6 * HOUR, 2, 'gamma', 'Browsing', 'Firefox'),
    ...apps.map((app, i) =>
      event(
        d3Start + 10 * HOUR + i * 15 * 60_000,
        6 + i,
        'delta',
        i < 4 ? 'Other' : 'Writing',
        app,
      ),
    ),
    event(d3Start + 14 * HOUR, 30, 'alpha', 'Coding', 'Code'),
    event(d3Start + 15 * HOUR, 15, 'alpha', 'Browsing', 'Firefox'),
  ])
  const dayTotal = (first: number) =>
    client.total({ preset: customPreset(first, first + DAY), tz: 'UTC' })

  const ctx = await browser.newContext({
    timezoneId: 'UTC',
    locale: 'en-GB',
    viewport: { width: 1280, height: 900 },
  })
  const page = await ctx.newPage()
  const problems = watchProblems(page)
  // An admin session: the Hooks page and the settings' editing are part of every view.
  const code = (await call('POST', '/v1/session/codes', { scope: 'admin' })) as { url: string }
  await page.goto(code.url)
  await page.waitForSelector('[data-testid="total-active"]')
  const go = async (hash: string) => {
    await page.evaluate(`location.hash = ${JSON.stringify(hash)}`)
  }
  const timeline = page.locator('[data-testid="timeline"]')
  const view = async () => ({
    start: Number(await timeline.getAttribute('data-view-start')),
    end: Number(await timeline.getAttribute('data-view-end')),
  })
  const tracks = page.locator('[data-testid="timeline"] .tl-tracks')
  /** The x of an instant on the lanes, at the view shown now. */
  const xAt = async (ms: number) => {
    const box = await tracks.boundingBox()
    assert.ok(box)
    const v = await view()
    return {
      x: box.x + (box.width * (ms - v.start)) / (v.end - v.start),
      y: box.y + box.height / 2,
    }
  }
  const drag = async (fromMs: number, toMs: number) => {
    const a = await xAt(fromMs)
    const b = await xAt(toMs)
    await page.mouse.move(a.x + 1, a.y)
    await page.mouse.down()
    await page.mouse.move((a.x + b.x) / 2, a.y, { steps: 3 })
    await page.mouse.move(b.x, b.y, { steps: 3 })
    await page.mouse.up()
  }
  const waitView = async (check: (v: { start: number; end: number }) => boolean, what: string) =>
    waitUntil(
      async () => check(await view()),
      async () => `${what}: the view is ${JSON.stringify(await view())}`,
    )

  await t.test('the timeline opens on the hours with data, zooms, resets and labels', async () => {
    await go(`#/day/${Y}`)
    await page.waitForSelector('[data-testid="timeline"][data-events="6"]')
    await settled(page)
    await tracks.scrollIntoViewIfNeeded()
    // 09:00 to 16:00: the first stretch starts at 09:00, the last (two minutes) at 15:00.
    assert.deepEqual(await view(), { start: y, end: y + 7 * HOUR })
    // A stretch with room says what it was.
    await page.waitForSelector(
      '[data-testid="timeline"] .seg-text:text-is("Firefox · https://docs.example/alpha")',
    )

    await page.click('button:text-is("Whole day")')
    await waitView((v) => v.start === yStart && v.end === yStart + DAY, 'whole day')
    assert.equal(await page.locator('.tl-tick').first().textContent(), '00:00')
    // Two minutes of 24 hours is about a pixel and a half of the lanes; drawn, it is wider.
    const widths = await page.$$eval('.tl-lane[aria-label^="daybook-window"] .seg', (els) =>
      els.map((e) => e.getBoundingClientRect().width),
    )
    assert.equal(widths.length, 3, JSON.stringify(widths))
    assert.ok(Math.min(...widths) >= 4, `a stretch is a hairline: ${JSON.stringify(widths)}`)

    await page.click('[data-testid="timeline-reset"]')
    await waitView((v) => v.start === y && v.end === y + 7 * HOUR, 'reset')

    // A drag zooms to what it covers (a pixel is well under a minute here)…
    await drag(y + HOUR, y + 2 * HOUR)
    await waitView(
      (v) =>
        Math.abs(v.start - (y + HOUR)) < 2 * 60_000 &&
        Math.abs(v.end - (y + 2 * HOUR)) < 2 * 60_000,
      'drag 10:00–11:00',
    )
    assert.equal(await page.locator('form[aria-label="New label"]').count(), 0)
    // …and its axis counts in minutes.
    await page.waitForSelector('.tl-tick:text-is("10:30")')
    // The wheel zooms in and out about the pointer.
    const before = await view()
    const mid = await xAt((before.start + before.end) / 2)
    await page.mouse.move(mid.x, mid.y)
    await page.mouse.wheel(0, -200)
    await waitView((v) => v.end - v.start < before.end - before.start, 'wheel in')
    const zoomedIn = await view()
    await page.mouse.wheel(0, 400)
    await waitView((v) => v.end - v.start > zoomedIn.end - zoomedIn.start, 'wheel out')
    await page.click('[data-testid="timeline-reset"]')
    await waitView((v) => v.start === y && v.end === y + 7 * HOUR, 'reset')

    // While "Label a range" is pressed, a drag labels instead.
    await page.click('button:text-is("Label a range")')
    await drag(y + 4 * HOUR, y + 4.5 * HOUR)
    const form = page.locator('form[aria-label="New label"]')
    const from = await form.locator('input[type="time"]').nth(0).inputValue()
    const to = await form.locator('input[type="time"]').nth(1).inputValue()
    assert.ok(['12:59', '13:00', '13:01'].includes(from), from)
    assert.ok(['13:29', '13:30', '13:31'].includes(to), to)
    await form.locator('input[type="text"]').fill('Standup')
    await form.locator('button[type="submit"]').click()
    await page.waitForSelector('[data-testid="timeline-label"]:has-text("Standup")')
    await page.click('button:text-is("Label a range")')
    assert.deepEqual(await view(), { start: y, end: y + 7 * HOUR })
    await shot(page, 'timeline-zoom')
  })

  await t.test('the year at a glance shows each day’s time and opens a day', async () => {
    await go(`#/year/${D3.slice(0, 4)}-01-01`)
    await settled(page)
    const cell = (day: string) => page.locator(`[data-testid="year-calendar"] [data-date="${day}"]`)
    for (const [day, first] of [
      [D3, d3Start],
      [Y, yStart],
      [date(d3Start - DAY), d3Start - DAY],
    ] as const) {
      if (day.slice(0, 4) !== D3.slice(0, 4)) continue
      const seconds = await dayTotal(first)
      assert.equal(Number(await cell(day).getAttribute('data-seconds')), seconds, day)
      const text = (await cell(day).getAttribute('aria-label')) ?? ''
      assert.ok(
        seconds > 0 ? text.endsWith(formatDuration(seconds)) : text.endsWith('nothing recorded'),
        text,
      )
      assert.match((await cell(day).getAttribute('class')) ?? '', seconds > 0 ? /l[1-4]/ : /l0/)
    }
    // The year's total in words: the days with activity that fall in D3's year.
    const year = D3.slice(0, 4)
    const active = [d3Start, yStart].filter((first) => date(first).startsWith(year))
    const yearSeconds = (await Promise.all(active.map(dayTotal))).reduce((a, b) => a + b, 0)
    await waitText(
      page,
      'year-total',
      `${formatDuration(yearSeconds)} on ${active.length} active day${active.length === 1 ? '' : 's'}`,
    )
    await cell(D3).click()
    await waitUntil(
      async () => page.url().endsWith(`#/day/${D3}`),
      async () => `after a click on ${D3} the address is ${page.url()}`,
    )
    await waitText(page, 'total-active', formatDuration(await dayTotal(d3Start)))
    // By keyboard: the day shown holds the calendar's focus; up is the day before (down the day
    // after, on 1 January), Enter opens it.
    await settled(page)
    await cell(D3).focus()
    const firstOfYear = D3.endsWith('-01-01')
    await page.keyboard.press(firstOfYear ? 'ArrowDown' : 'ArrowUp')
    const before = date(d3Start + (firstOfYear ? DAY : -DAY))
    await waitUntil(
      async () => (await page.evaluate('document.activeElement?.dataset.date')) === before,
      async () => `focus on ${String(await page.evaluate('document.activeElement?.dataset.date'))}`,
    )
    await page.keyboard.press('Enter')
    await waitUntil(
      async () => page.url().endsWith(`#/day/${before}`),
      async () => `after Enter the address is ${page.url()}`,
    )
  })

  await t.test('the hour-of-day and weekday profiles are the API’s numbers, on axes', async () => {
    await go(`#/day/${Y}`)
    await settled(page)
    const hours = (await client.insight({
      insightType: 'hourOfDay',
      insightRange: Y,
      tz: 'UTC',
    })) as { hourOfDay: { hour: number; averageSeconds: number }[] }
    const hourRows = await page.$$eval('[data-testid="hour-profile-table"] tbody tr', (els) =>
      els.map((e) => [...e.children].map((c) => c.textContent)),
    )
    assert.deepEqual(
      hourRows,
      hours.hourOfDay.map((h) => [
        `${String(h.hour).padStart(2, '0')}:00`,
        formatDuration(h.averageSeconds),
      ]),
    )
    assert.equal(hourRows[10]?.[1], '1h')
    // The weekdays of the day's month, each averaged over its days so far.
    const monthFirst = `${Y.slice(0, 7)}-01`
    const next = new Date(`${monthFirst}T00:00:00Z`)
    next.setUTCMonth(next.getUTCMonth() + 1)
    const rows = await client.buckets({
      preset: customPreset(Date.parse(`${monthFirst}T00:00:00Z`), next.getTime(), 'day'),
      tz: 'UTC',
    })
    const expected = weekdayProfile(
      dayTotals(rows),
      monthFirst,
      date(next.getTime() - DAY),
      date(today),
    )
    const weekdayName = (i: number) =>
      new Intl.DateTimeFormat('en-GB', { weekday: 'long', timeZone: 'UTC' }).format(
        Date.UTC(2024, 0, 1 + i),
      )
    const dayRows = await page.$$eval('[data-testid="weekday-profile-table"] tbody tr', (els) =>
      els.map((e) => [...e.children].map((c) => c.textContent)),
    )
    assert.deepEqual(
      dayRows,
      expected.map((w, i) => [weekdayName(i), formatDuration(w.averageSeconds)]),
    )
    // Both charts name their axes.
    for (const [card, x] of [
      ['hour-profile', 'Hour'],
      ['weekday-profile', 'Weekday'],
    ]) {
      const titles = await page.$$eval(`[data-testid="${card}"] .axis-title`, (els) =>
        els.map((e) => e.textContent),
      )
      assert.deepEqual(titles.sort(), ['Average', x].sort(), card)
    }
  })

  await t.test(
    'Compare: the previous period, then two chosen ranges, by project and app',
    async () => {
      const range = (first: number) => ({ startUtc: first / 1000, endUtc: (first + DAY) / 1000 })
      const expected = async (a: number, b: number, groupBy: string) => {
        const r = (await call('POST', '/v1/search/compare', {
          a: range(a),
          b: range(b),
          groupBy,
          tz: 'UTC',
        })) as { groups: { group: string; a: number; b: number }[] }
        return r.groups.map((g) => `${g.group} ${g.a} ${g.b}`).sort()
      }
      const shown = () =>
        page.$$eval('[data-testid="compare-row"]', (els) =>
          els
            .map(
              (e) =>
                `${e.getAttribute('data-name')} ${e.getAttribute('data-a')} ${e.getAttribute('data-b')}`,
            )
            .sort(),
        )
      const waitRows = async (want: string[]) =>
        waitUntil(
          async () => JSON.stringify(await shown()) === JSON.stringify(want),
          async () =>
            `compare: expected ${JSON.stringify(want)}, shows ${JSON.stringify(await shown())}`,
        )
      await go(`#/day/${Y}`)
      await settled(page)
      await waitRows(await expected(yStart - DAY, yStart, 'project'))
      const compare = page.locator('[data-testid="compare"]')
      await compare.locator('button:text-is("Two ranges")').click()
      const dates = compare.locator('input[type="date"]')
      await dates.nth(0).fill(D3)
      await dates.nth(1).fill(D3)
      await dates.nth(2).fill(Y)
      await dates.nth(3).fill(Y)
      await compare.locator('button:text-is("Compare")').click()
      await waitRows(await expected(d3Start, yStart, 'project'))
      await compare.locator('select').selectOption('app')
      await waitRows(await expected(d3Start, yStart, 'app'))
      await shot(page, 'compare-ranges')
    },
  )

  await t.test('the view exports as CSV: every bucket and group the API gives', async () => {
    await go(`#/day/${Y}`)
    await settled(page)
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid="export-csv"]'),
    ])
    assert.equal(download.suggestedFilename(), `daybook_${Y}_by-category.csv`)
    const lines = readFileSync(await download.path(), 'utf8')
      .trimEnd()
      .split('\r\n')
    assert.equal(lines[0], 'bucket,category,seconds,duration')
    const api = await client.buckets({
      preset: customPreset(yStart, yStart + DAY, 'hour'),
      tz: 'UTC',
      groupBy: 'category',
    })
    const want = api.flatMap((r) =>
      Object.entries(r.groupedValues)
        .filter(([, s]) => s > 0)
        .map(([g, s]) => `${r.bucket},${g},${s},${formatDuration(s)}`),
    )
    assert.ok(want.length >= 5)
    assert.deepEqual(lines.slice(1).sort(), want.sort())
  })

  await t.test(
    'the legend: the smaller groups read as plainly as the rest; Other filters',
    async () => {
      await go(`#/day/${D3}?group=app`)
      await settled(page)
      const rest = page.locator('[data-testid="legend-rest"]')
      // Eleven apps: seven drawn, four together.
      assert.equal(await rest.textContent(), '4 more')
      const style = (selector: string) => page.evaluate(look(selector))
      assert.deepEqual(await style('[data-testid="legend-rest"]'), await style('.legend button'))
      await go(`#/day/${D3}`)
      await settled(page)
      const other = page.locator('.legend button[data-name="Other"]')
      assert.equal(await other.isEnabled(), true)
      assert.deepEqual(
        await style('.legend button[data-name="Other"]'),
        await style('.legend button'),
      )
      await other.click()
      const otherTotal = await client.total({
        preset: customPreset(d3Start, d3Start + DAY),
        tz: 'UTC',
        categories: ['Other'],
      })
      assert.ok(otherTotal > 0)
      await waitText(page, 'total-active', formatDuration(otherTotal))
      await page.click('[data-testid="filter-chip"]')
    },
  )

  await t.test('cards fill their rows at 1280, 1440 and 1920 pixels and stack at 390', async () => {
    // Charts follow a new width a frame later (their ResizeObserver): wait for the layout to hold.
    const laidOut = (what: string) =>
      waitUntil(
        async () => (await page.evaluate<string[]>(LAYOUT_PROBLEMS)).length === 0,
        async () => `${what}: ${(await page.evaluate<string[]>(LAYOUT_PROBLEMS)).join('; ')}`,
      )
    for (const hash of [
      `#/day/${Y}`,
      `#/day/${Y}?project=alpha`,
      `#/year/${Y.slice(0, 4)}-01-01`,
    ]) {
      await go(hash)
      // The rows of cards checked below: the total and the year, breakdowns, insights.
      await waitUntil(
        async () => (await page.locator('.cards > .card').count()) >= 10,
        async () => `${hash}: ${await page.locator('.cards > .card').count()} cards in rows`,
      )
      for (const width of [1280, 1440, 1920, 390]) {
        await page.setViewportSize({ width, height: 900 })
        await settled(page)
        await laidOut(`${hash} at ${width}px`)
      }
    }
    for (const hash of ['#/status', '#/settings', '#/hooks']) {
      await go(hash)
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 })
        await page.waitForSelector('main h2')
        await settled(page)
        await laidOut(`${hash} at ${width}px`)
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 })
  })

  await t.test(
    'a category rule’s box shows its whole pattern, on a desktop and a phone',
    async () => {
      await go('#/settings')
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 })
        const box = page.locator('textarea[aria-label="Rule 1: pattern"]')
        await box.waitFor()
        assert.equal(await box.inputValue(), LONG_PATTERN)
        const fit = await box.evaluate((e) => ({
          rows: e.scrollHeight - e.clientHeight,
          columns: e.scrollWidth - e.clientWidth,
        }))
        assert.ok(fit.rows <= 1 && fit.columns <= 1, `${width}px: ${JSON.stringify(fit)}`)
      }
      await page.setViewportSize({ width: 1280, height: 900 })
    },
  )

  await t.test('every control has a name', async () => {
    for (const hash of [`#/day/${Y}`, '#/status', '#/settings', '#/hooks']) {
      await go(hash)
      await settled(page)
      assert.deepEqual(await page.evaluate<string[]>(UNNAMED_CONTROLS), [], hash)
    }
  })

  await t.test(
    'every view and the sign-in page, light and dark, at 1280 and 390 pixels: shown without an error (screenshots with DAYBOOK_TEST_SCREENSHOTS)',
    async () => {
      const views: [string, string][] = [
        ['overview-day', `#/day/${Y}`],
        ['overview-year', `#/year/${Y.slice(0, 4)}-01-01`],
        ['status', '#/status'],
        ['settings', '#/settings'],
        ['hooks', '#/hooks'],
      ]
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme })
        for (const width of [1280, 390]) {
          await page.setViewportSize({ width, height: 900 })
          for (const [name, hash] of views) {
            await go(hash)
            await page.waitForSelector('main')
            await settled(page)
            await shot(page, `${name}-${scheme}-${width}`)
          }
        }
      }
      const signedOut = await browser.newContext({ timezoneId: 'UTC', locale: 'en-GB' })
      const signIn = await signedOut.newPage()
      const signInProblems = watchProblems(signIn)
      for (const scheme of ['light', 'dark'] as const) {
        await signIn.emulateMedia({ colorScheme: scheme })
        for (const width of [1280, 390]) {
          await signIn.setViewportSize({ width, height: 900 })
          await signIn.goto(base)
          await signIn.waitForSelector('[data-testid="sign-in"]')
          await shot(signIn, `sign-in-${scheme}-${width}`)
        }
      }
      await signedOut.close()
      assert.deepEqual(signInProblems, [])
      await page.emulateMedia({ colorScheme: 'light' })
      await page.setViewportSize({ width: 1280, height: 900 })
    },
  )

  await t.test('times follow the browser’s locale: a 12-hour clock where it uses one', async () => {
    const session = String(await page.evaluate('sessionStorage.getItem("daybook.session")'))
    const us = await browser.newContext({ timezoneId: 'UTC', locale: 'en-US' })
    await us.addInitScript(`sessionStorage.setItem('daybook.session', ${JSON.stringify(session)})`)
    const p = await us.newPage()
    await p.goto(`${base}/#/day/${Y}`)
    await p.waitForSelector('[data-testid="timeline"][data-events="6"]')
    await settled(p)
    const ticks = await p.$$eval('.tl-tick', (els) => els.map((e) => e.textContent ?? ''))
    assert.ok(
      ticks.length > 2 && ticks.every((x) => /^\d{1,2}:\d{2}\s?[AP]M$/.test(x)),
      ticks.join(),
    )
    await p.focus('[data-testid="timeline"] .tl-lane[aria-label^="wakatime-vscode"]')
    // Browsers put a narrow no-break space before AM.
    const details = async () =>
      ((await p.textContent('[data-testid="timeline-details"]')) ?? '').replace(/\s/g, ' ')
    await waitUntil(
      async () => (await details()).startsWith('10:00 AM–11:00 AM (1h)'),
      async () => `timeline details: ${await details()}`,
    )
    // The time of the last live update, in the page's zone and the locale's clock.
    await p.waitForSelector('[data-testid="live-indicator"][data-state="live"]')
    await call('POST', '/v1/events', [event(d3Start - 30 * DAY, 5, 'omega', 'Coding', 'Code')])
    const updated = async () =>
      ((await p.getAttribute('[data-testid="live-indicator"]', 'title')) ?? '').replace(/\s/g, ' ')
    await waitUntil(
      async () =>
        /^Last update [A-Z][a-z]{2} \d{1,2}, \d{1,2}:\d{2}:\d{2} [AP]M$/.test(await updated()),
      async () => `live indicator: ${await updated()}`,
    )
    await us.close()
  })

  assert.deepEqual(problems, [])
})
