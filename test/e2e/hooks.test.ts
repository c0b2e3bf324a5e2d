/**
 * The dashboard's Hooks page in a real browser against a real daemon (in this process, on a real
 * port): rules made from templates, their progress as the API reports it, turned off, tested
 * (a real webhook receiver checks the signature), do-not-disturb, the log, and the page refused
 * to a session that is not admin. A screenshot goes to a temp directory, named in the output.
 */
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { BrowserContext, Page } from 'playwright-core'
import { eventInput, startApp } from '../helpers.ts'
import { dashboardSkipReason, launchChromium, screenshots, watchProblems } from './dashboard.ts'

const MIN = 60_000

/** Polls `check` until it holds; after a minute fails with `describe()`. */
async function waitUntil(check: () => Promise<boolean>, describe: () => Promise<string>) {
  const deadline = Date.now() + 60_000
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(await describe())
    await sleep(50)
  }
}

async function waitText(page: Page, selector: string, expected: RegExp): Promise<void> {
  const shown = async () => (await page.locator(selector).allTextContents()).join(' | ')
  await waitUntil(
    async () => expected.test(await shown()),
    async () => `${selector}: expected ${String(expected)}, shows ${JSON.stringify(await shown())}`,
  )
}

/** A page signed in with `token` as a session of `scope` would be (what `daybook open` leaves). */
async function signedIn(ctx: BrowserContext, token: string, scope: string): Promise<Page> {
  await ctx.addInitScript(
    `sessionStorage.setItem('daybook.session', ${JSON.stringify(
      JSON.stringify({ token, scope, expiresAt: null }),
    )})`,
  )
  return ctx.newPage()
}

test('the Hooks page in a real browser', async (t) => {
  const skip = dashboardSkipReason()
  if (skip !== undefined) {
    t.diagnostic(`skipped: ${skip}`)
    t.skip(skip)
    return
  }
  const got: { signature: string | undefined; body: string }[] = []
  const receiver = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (body += c))
    req.on('end', () => {
      const signature = req.headers['x-daybook-signature']
      got.push({ signature: typeof signature === 'string' ? signature : undefined, body })
      res.statusCode = 204
      res.end()
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise((resolve) => receiver.close(resolve)))
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/track`

  const { app, call } = await startApp(t, { hooks: { settleMs: 0 } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const api = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const res = await call({ method, url, payload: payload as Record<string, unknown> })
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`)
    return res.json<unknown>()
  }

  const browser = await launchChromium()
  t.after(() => browser.close())
  const ctx = await browser.newContext({
    viewport: { width: 1280, height: 1000 },
    locale: 'en-US',
    timezoneId: 'UTC',
  })
  const res = await call({ method: 'POST', url: '/v1/session/codes', payload: { scope: 'admin' } })
  assert.equal(res.statusCode, 201, res.body)
  const page = await ctx.newPage()
  const problems = watchProblems(page)
  // Signed in through an admin sign-in link, as `daybook open --admin` makes one.
  await page.goto(res.json<{ url: string }>().url.replace(/^http:\/\/[^/]+/, base))
  await page.waitForSelector('[data-testid="total-active"]')
  await page.click('nav >> text=Hooks')
  await page.waitForSelector('[data-testid="no-hooks"]')

  // A break reminder from its template, with a shorter stretch.
  await page.click('[data-testid="hook-templates"] >> text=Break reminder')
  await page.fill('[data-testid="hook-form"] input[name="minutes"]', '30')
  await page.click('[data-testid="hook-form"] button[type="submit"]')
  await waitText(page, '[data-testid="hooks-result"]', /Break reminder created/)
  const rules = (await api('GET', '/v1/hooks')) as { id: string; when: unknown }[]
  assert.deepEqual(rules, [
    {
      id: 'break-reminder',
      name: 'Break reminder',
      enabled: true,
      when: { kind: 'no_break', match: {}, minutes: 30, breakMinutes: 5 },
      then: [
        { kind: 'notify', message: 'Time for a break: stand up and look away for a few minutes.' },
      ],
      cooldownMinutes: 0,
    },
  ])

  // Twenty minutes of work: the page shows the progress the API reports.
  const now = Date.now()
  await api('POST', '/v1/events', [
    eventInput({
      timestamp: new Date(now - 20 * MIN).toISOString(),
      end_timestamp: new Date(now).toISOString(),
      duration: 1200,
    }),
  ])
  await app.daybook.hooks.idle()
  const [status] = (await api('GET', '/v1/hooks/statuses')) as { progress: { text: string } }[]
  assert.match(status?.progress.text ?? '', /^(19|20) of 30 minutes without a break$/)
  await page.reload()
  await waitText(page, '[data-testid="hook-progress"]', new RegExp(status?.progress.text ?? '-'))

  // A project webhook with a secret.
  await page.click('[data-testid="hook-templates"] >> text=Project start/stop webhook')
  await page.fill('[data-testid="hook-form"] input[name="url"]', hookUrl)
  await page.fill('[data-testid="hook-form"] input[name="secret"]', 'e2e-secret')
  await page.fill('[data-testid="hook-form"] input[name="projects"]', 'skopio, daybook')
  await page.click('[data-testid="hook-form"] button[type="submit"]')
  await waitText(page, '[data-testid="hooks-result"]', /Time tracking created/)
  await page.waitForSelector('[data-testid="hook-row"][data-id="time-tracking"]')

  // The break reminder off.
  await page.click(
    '[data-testid="hook-row"][data-id="break-reminder"] [data-testid="hook-enabled"]',
  )
  await waitText(page, '[data-testid="hooks-result"]', /Break reminder is off/)
  await waitUntil(
    async () => ((await api('GET', '/v1/hooks')) as { enabled: boolean }[])[0]?.enabled === false,
    async () => JSON.stringify(await api('GET', '/v1/hooks')),
  )
  await waitText(
    page,
    '[data-testid="hook-row"][data-id="break-reminder"] [data-testid="hook-progress"]',
    /^off$/,
  )

  // A test run of the webhook: signed, and in the log.
  await page.click('[data-testid="hook-row"][data-id="time-tracking"] [data-testid="hook-test"]')
  await waitText(page, '[data-testid="hooks-result"]', /Tested Time tracking: webhook: 204/)
  assert.equal(got.length, 1)
  const [sent] = got
  assert.equal(
    sent?.signature,
    `sha256=${createHmac('sha256', 'e2e-secret')
      .update(sent?.body ?? '')
      .digest('hex')}`,
  )
  assert.equal(JSON.parse(sent?.body ?? '{}').test, true)
  await waitText(
    page,
    '[data-testid="hooks-log"] [data-testid="log-row"]',
    /Time tracking \(test\).*webhook: 204/,
  )

  // The log's times follow the browser's locale: a 12-hour clock here, 24 hours in en-GB.
  const [fired] = (await api('POST', '/v1/hooks/log', {})) as { firedAt: string }[]
  const at = new Date(fired?.firedAt ?? '')
  const [hh, mm, ss] = [at.getUTCHours(), at.getUTCMinutes(), at.getUTCSeconds()].map((n) =>
    String(n).padStart(2, '0'),
  )
  const hour12 = at.getUTCHours() % 12 === 0 ? 12 : at.getUTCHours() % 12
  const firedCell = '[data-testid="hooks-log"] [data-testid="log-row"] td:first-child'
  // Browsers put a narrow no-break space before AM.
  const shownAt = async (p: Page) =>
    ((await p.locator(firedCell).first().textContent()) ?? '').replace(/\s/g, ' ')
  assert.match(
    await shownAt(page),
    new RegExp(
      `^[A-Z][a-z]{2} ${at.getUTCDate()}, ${hour12}:${mm}:${ss} ${at.getUTCHours() < 12 ? 'AM' : 'PM'}$`,
    ),
  )
  const session = String(await page.evaluate('sessionStorage.getItem("daybook.session")'))
  const gb = await browser.newContext({ locale: 'en-GB', timezoneId: 'UTC' })
  await gb.addInitScript(`sessionStorage.setItem('daybook.session', ${JSON.stringify(session)})`)
  const gbPage = await gb.newPage()
  await gbPage.goto(`${base}/#/hooks`)
  await gbPage.waitForSelector(firedCell)
  assert.match(
    await shownAt(gbPage),
    new RegExp(`^${at.getUTCDate()} [A-Z][a-z]{2},? ${hh}:${mm}:${ss}$`),
  )
  await gb.close()

  // Do-not-disturb from the page.
  await page.click('[data-testid="dnd-enabled"]')
  await waitText(page, '[data-testid="dnd-state"]', /On now \(turned on\)/)
  assert.equal(
    ((await api('GET', '/v1/settings/dnd/config')) as { enabled: boolean }).enabled,
    true,
  )

  await screenshots(t, 'hooks')(page, 'hooks')

  // A data session: the page says what it needs instead.
  const data = (await api('POST', '/v1/auth/tokens', {
    name: 'e2e data',
    acl: 'data',
    expiry: 'never',
  })) as { token: string }
  const other = await signedIn(await browser.newContext(), data.token, 'data')
  await other.goto(`${base}/#/hooks`)
  await other.waitForSelector('[data-testid="needs-admin"]')

  assert.deepEqual(
    problems.filter((p) => !p.includes('403')),
    [],
  )
})
