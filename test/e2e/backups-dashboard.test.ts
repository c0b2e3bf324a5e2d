/**
 * Scheduled backups on the dashboard, in a real browser against a real daemon: off at first,
 * turned on from the status view, the backup it takes shown with its size and the next one due,
 * and turned off again; the daemon's setting follows each click.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runCli, startInProcess, type RunningDaemon } from '../daemon.ts'
import { daemonApi, launchChromium, skipWithoutDashboard, watchProblems } from './dashboard.ts'

const dirs = (d: RunningDaemon) => ['--data-dir', d.dataDir, '--config-dir', d.configDir]

test('the status view turns scheduled backups on and off and shows the last and the next', async (t) => {
  if (skipWithoutDashboard(t)) return
  const d = await startInProcess(t)
  const api = daemonApi(d)
  const open = await runCli(['open', '--admin', '--no-browser', ...dirs(d)], {
    DISPLAY: '',
    WAYLAND_DISPLAY: '',
  })
  const url = /http:\/\/\S+#code=\S+/.exec(open.stdout)?.[0]
  assert.ok(url, open.stdout + open.stderr)

  const browser = await launchChromium()
  t.after(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  const problems = watchProblems(page)
  await page.goto(url)
  await page.waitForSelector('[data-testid="total-active"]')
  await page.click('nav >> text=Status')
  const card = page.locator('[data-testid="backups"]')
  await card
    .locator('[data-testid="backups-state"]', { hasText: 'Scheduled backups are off' })
    .waitFor()
  await card.locator('[data-testid="backups-last"]', { hasText: 'No backup yet.' }).waitFor()

  await card.locator('button', { hasText: 'Turn scheduled backups on' }).click()
  await card
    .locator('[data-testid="backups-state"]', { hasText: 'on: every 24 hours, the newest 7 kept' })
    .waitFor()
  // The slot's backup is taken at once; the card shows it (with its size) and the next one.
  await card
    .locator('[data-testid="backups-last"]', { hasText: /Last backup .*, [\d.]+ (B|KB|MB)\./ })
    .waitFor()
  await card.locator('[data-testid="backups-next"]', { hasText: 'Next backup' }).waitFor()
  const listed = (await api('GET', '/v1/backups')) as { backups: { scheduled: boolean }[] }
  assert.deepEqual(
    listed.backups.map((b) => b.scheduled),
    [true],
  )

  await card.locator('button', { hasText: 'Turn scheduled backups off' }).click()
  await card
    .locator('[data-testid="backups-state"]', { hasText: 'Scheduled backups are off' })
    .waitFor()
  const settings = (await api('GET', '/v1/settings')) as { backups: { enabled: boolean } }
  assert.equal(settings.backups.enabled, false)
  assert.deepEqual(problems, [])
})
