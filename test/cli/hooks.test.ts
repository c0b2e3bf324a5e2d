/**
 * `daybook hooks` against a real daemon process: the rules and their progress, a test run whose
 * command writes a file, the log, and the refusals (usage, a token that is not admin).
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { eventInput, tempDir } from '../helpers.ts'
import { request, runCli, startInProcess } from '../daemon.ts'

test('daybook hooks list, test and log against a live daemon', async (t) => {
  const d = await startInProcess(t)
  const where = ['--data-dir', d.dataDir, '--config-dir', d.configDir]
  const env = { TZ: 'UTC' }
  const port = d.discovery.port ?? 0
  const call = async (method: string, url: string, body?: unknown, token = d.token) =>
    request(
      { port },
      {
        method,
        path: url,
        headers: { authorization: `Bearer ${token}` },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
    )

  const none = await runCli(['hooks', 'list', ...where], env)
  assert.equal(none.code, 0, none.stderr)
  assert.match(none.stdout, /^No hook rules\./)

  const out = path.join(tempDir(t), 'payload.json')
  const rules = [
    {
      id: 'break',
      name: 'Break reminder',
      when: { kind: 'no_break', minutes: 50, breakMinutes: 5 },
      then: [
        {
          kind: 'command',
          argv: [
            process.execPath,
            '-e',
            'require("node:fs").writeFileSync(process.argv[1], require("node:fs").readFileSync(0))',
            out,
          ],
        },
      ],
    },
    {
      id: 'social',
      name: 'Social budget',
      enabled: false,
      when: { kind: 'budget', match: { url: ['reddit'] }, minutes: 30 },
      then: [{ kind: 'stream' }],
    },
  ]
  assert.equal((await call('POST', '/v1/hooks', rules)).status, 200)
  const now = Date.now()
  const events = [
    eventInput({
      timestamp: new Date(now - 20 * 60_000).toISOString(),
      end_timestamp: new Date(now).toISOString(),
      duration: 1200,
    }),
  ]
  assert.equal((await call('POST', '/v1/events', events)).status, 200)

  // The progress follows the data (evaluated after the commit: wait for it to show).
  let listed = await runCli(['hooks', 'list', ...where], env)
  for (let i = 0; i < 200 && !/of 50 minutes without a break/.test(listed.stdout); i++) {
    listed = await runCli(['hooks', 'list', ...where], env)
  }
  assert.equal(listed.code, 0, listed.stderr)
  const lines = listed.stdout.trim().split('\n')
  assert.match(lines[0] ?? '', /^ID\s+NAME\s+WHEN\s+NOW\s+LAST FIRED$/)
  assert.match(
    lines[1] ?? '',
    /^break\s+Break reminder\s+no_break 50m\s+(19|20) of 50 minutes without a break\s+never$/,
  )
  assert.match(lines[2] ?? '', /^social\s+Social budget\s+budget 30m\s+off\s+never$/)

  const tested = await runCli(['hooks', 'test', 'break', ...where], env)
  assert.equal(tested.code, 0, tested.stderr)
  assert.match(
    tested.stdout,
    /^Ran the actions of break with a sample payload \(log entry \d+\):\n {2}command 0 \(\d+ ms\)\n$/,
  )
  const payload = JSON.parse(readFileSync(out, 'utf8')) as { test: boolean; hook: { id: string } }
  assert.deepEqual([payload.test, payload.hook.id], [true, 'break'])

  const log = await runCli(['hooks', 'log', 'break', ...where], env)
  assert.equal(log.code, 0, log.stderr)
  assert.match(
    log.stdout,
    /^FIRED\s+RULE\s+ACTIONS\n\d{4}-\d\d-\d\d \d\d:\d\d\s+break \(test\)\s+command 0\n$/,
  )
  const json = await runCli(['hooks', 'log', '--json', '--limit', '1', ...where], env)
  assert.equal(JSON.parse(json.stdout).length, 1)

  // A failing action: exit 1, and the reason.
  rules[0] = {
    ...rules[0],
    then: [{ kind: 'command', argv: [process.execPath, '-e', 'process.exit(4)'] }],
  } as (typeof rules)[0]
  assert.equal((await call('POST', '/v1/hooks', rules)).status, 200)
  const failed = await runCli(['hooks', 'test', 'break', ...where], env)
  assert.equal(failed.code, 1)
  assert.match(failed.stdout, /command failed: exited with status 4/)

  const unknown = await runCli(['hooks', 'test', 'nope', ...where], env)
  assert.equal(unknown.code, 1)
  assert.match(unknown.stderr, /no hook rule with id "nope" \(404 no_such_hook\)/)
  const usage = await runCli(['hooks', 'frobnicate', ...where], env)
  assert.equal(usage.code, 2)
  assert.match(usage.stderr, /unknown command "frobnicate": use list, log or test/)
  const limit = await runCli(['hooks', 'log', '--limit', '0', ...where], env)
  assert.equal(limit.code, 2)

  // A data token may not see the rules (they hold webhook secrets and commands).
  const created = await call('POST', '/v1/auth/tokens', {
    name: 'dash',
    acl: 'data',
    expiry: 'never',
  })
  const data = JSON.parse(created.body).token as string
  const refused = await runCli(['hooks', 'list', ...where], { ...env, DAYBOOK_TOKEN: data })
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /403 forbidden/)
})
