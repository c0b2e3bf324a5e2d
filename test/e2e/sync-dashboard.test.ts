/**
 * Several devices on the dashboard, in a real browser against real daemons: a hub lists its
 * paired devices and makes a pairing code; a spoke shows its hub and that it is synced.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runCli, startInProcess, type RunningDaemon } from '../daemon.ts'
import { dashboardSkipReason, launchChromium } from './dashboard.ts'

const dirs = (d: RunningDaemon) => ['--data-dir', d.dataDir, '--config-dir', d.configDir]

async function signInUrl(d: RunningDaemon, admin: boolean): Promise<string> {
  const open = await runCli(['open', ...(admin ? ['--admin'] : []), '--no-browser', ...dirs(d)], {
    DISPLAY: '',
    WAYLAND_DISPLAY: '',
  })
  const url = /http:\/\/\S+#code=\S+/.exec(open.stdout)?.[0]
  assert.ok(url, open.stdout + open.stderr)
  return url
}

test('the dashboard shows paired devices and makes a pairing code on a hub, and a spoke’s sync', async (t) => {
  const skip = dashboardSkipReason()
  if (skip !== undefined) {
    t.diagnostic(`skipped: ${skip}`)
    t.skip(skip)
    return
  }
  // A hub on loopback may speak plain HTTP (a TLS proxy would be in front of it).
  const hub = await startInProcess(t, ['--hub'])
  const spoke = await startInProcess(t)
  const made = await runCli(['pair', '--name', 'laptop', '--json', ...dirs(hub)], {}, t)
  const code = JSON.parse(made.stdout) as { url: string; code: string; fingerprint: null }
  assert.equal(code.fingerprint, null)
  const joined = await runCli(['sync', 'join', code.url, code.code, ...dirs(spoke)], {}, t)
  assert.equal(joined.code, 0, joined.stderr)

  const browser = await launchChromium()
  t.after(() => browser.close())
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  const problems: string[] = []

  const hubPage = await ctx.newPage()
  hubPage.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  await hubPage.goto(await signInUrl(hub, true))
  await hubPage.waitForSelector('[data-testid="total-active"]')
  await hubPage.click('nav >> text=Status')
  const row = hubPage.locator('[data-testid="sync-client"]', { hasText: 'laptop' })
  await row.waitFor()
  // The spoke has read everything (the hub's view refreshes on its tick).
  await row.locator('[data-testid="sync-behind"]', { hasText: 'up to date' }).waitFor()
  await hubPage.click('button:text("New pairing code")')
  const command = (await hubPage.locator('[data-testid="pairing-command"]').textContent()) ?? ''
  assert.match(
    command,
    /^daybook sync join http:\/\/127\.0\.0\.1:\d+ [0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/,
  )

  const spokePage = await ctx.newPage()
  spokePage.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  await spokePage.goto(await signInUrl(spoke, false))
  await spokePage.waitForSelector('[data-testid="total-active"]')
  await spokePage.click('nav >> text=Status')
  await spokePage.locator('[data-testid="sync-spoke"]', { hasText: code.url }).waitFor()
  await spokePage.locator('[data-testid="sync-state"]', { hasText: 'synced' }).waitFor()
  assert.deepEqual(problems, [])
})
