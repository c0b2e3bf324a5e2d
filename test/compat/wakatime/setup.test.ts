/**
 * `daybook wakatime setup [--undo]` against a live daemon and a real `.wakatime.cfg`, and the
 * config edit on its own.
 */
import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { setWakatimeSettings, wakatimeCommand } from '../../../src/cli/wakatime.ts'
import { request, runCli, startInProcess } from '../../daemon.ts'
import { tempDir } from '../../helpers.ts'

const KEY = '8f1c2b7e-3d4a-4b5c-9d6e-7f8a9b0c1d2e'
const URL = 'http://127.0.0.1:5600/api/v1'

test('the config edit sets api_url and api_key in [settings] and keeps every other line', () => {
  const set = (text: string) => setWakatimeSettings(text, { api_url: URL, api_key: KEY })
  const original = [
    '; my WakaTime settings',
    '[settings]',
    'debug = true',
    'api_url=https://api.wakatime.com/api/v1',
    'hidefilenames = false',
    '',
    '[projectmap]',
    'api_key = not-this-one',
    '',
  ].join('\n')
  const { text, before } = set(original)
  assert.equal(
    text,
    [
      '; my WakaTime settings',
      '[settings]',
      'debug = true',
      `api_url = ${URL}`,
      'hidefilenames = false',
      `api_key = ${KEY}`,
      '',
      '[projectmap]',
      'api_key = not-this-one',
      '',
    ].join('\n'),
  )
  assert.deepEqual(before, {
    api_url: { value: 'https://api.wakatime.com/api/v1' },
    api_key: { value: undefined },
  })
  // No file, no [settings], Windows line endings.
  assert.equal(set('').text, `[settings]\napi_url = ${URL}\napi_key = ${KEY}\n`)
  assert.equal(
    set('[git]\r\ndisable_submodules = true\r\n').text,
    `[git]\r\ndisable_submodules = true\r\n\r\n[settings]\r\napi_url = ${URL}\r\napi_key = ${KEY}\r\n`,
  )
  // Applying it twice changes nothing more.
  assert.equal(set(text).text, text)
})

test('daybook wakatime setup points the plugins at the daemon; --undo restores the file', async (t) => {
  const d = await startInProcess(t)
  const home = tempDir(t, 'waka-home-')
  const cfg = path.join(home, '.wakatime.cfg')
  const original =
    '[settings]\ndebug = true\napi_url = https://api.wakatime.com/api/v1\napi_key = waka_old\n\n[git]\nsubmodules_disabled = true\n'
  writeFileSync(cfg, original)
  const where = ['--data-dir', d.dataDir, '--config-dir', d.configDir]
  const env = { WAKATIME_HOME: home }
  const port = d.discovery.port ?? 0

  const setup = await runCli(['wakatime', 'setup', ...where], env)
  assert.equal(setup.code, 0, setup.stderr)
  const text = readFileSync(cfg, 'utf8')
  const key = /api_key = (\S+)/.exec(text)?.[1] ?? ''
  assert.match(key, /^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$/)
  assert.equal(
    text,
    `[settings]\ndebug = true\napi_url = http://127.0.0.1:${port}/api/v1\napi_key = ${key}\n\n[git]\nsubmodules_disabled = true\n`,
  )
  assert.match(
    setup.stdout,
    new RegExp(
      `api_url = http://127\\.0\\.0\\.1:${port}/api/v1 +\\(was https://api\\.wakatime\\.com/api/v1\\)`,
    ),
  )
  assert.match(setup.stdout, /a new WakaTime key of scope ingest \(was waka_o…_old\)/)
  assert.equal(readFileSync(`${cfg}.daybook-backup`, 'utf8'), original)

  // What wakatime-cli then does with the file: heartbeats, and the status bar.
  const auth = { authorization: `Basic ${Buffer.from(key).toString('base64')}` }
  const now = Date.now() / 1000
  const sent = await request(
    { port },
    {
      method: 'POST',
      path: '/api/v1/users/current/heartbeats.bulk',
      headers: auth,
      body: JSON.stringify([
        { entity: 'a.ts', type: 'file', time: now - 60 },
        { entity: 'a.ts', type: 'file', time: now - 30 },
      ]),
    },
  )
  assert.equal(sent.status, 202, sent.body)
  const bar = await request(
    { port },
    { path: '/api/v1/users/current/statusbar/today', headers: auth },
  )
  assert.equal(bar.status, 200)
  const summaries = await request(
    { port },
    { path: '/api/v1/users/current/projects', headers: auth },
  )
  assert.equal(summaries.status, 403, 'the setup key reads nothing else')

  // A second setup keeps the first backup: undo must bring back the user's own file.
  // The key it replaces is revoked.
  const again = await runCli(['wakatime', 'setup', ...where], env)
  assert.equal(again.code, 0, again.stderr)
  assert.equal(readFileSync(`${cfg}.daybook-backup`, 'utf8'), original)
  assert.match(again.stdout, /Revoked the key it replaced/, again.stderr)
  const post = (k: string) =>
    request(
      { port },
      {
        method: 'POST',
        path: '/api/v1/users/current/heartbeats.bulk',
        headers: { authorization: `Basic ${Buffer.from(k).toString('base64')}` },
        body: JSON.stringify([{ entity: 'b.ts', type: 'file', time: now - 10 }]),
      },
    )
  assert.equal((await post(key)).status, 401)
  const key2 = /api_key = (\S+)/.exec(readFileSync(cfg, 'utf8'))?.[1] ?? ''
  assert.equal((await post(key2)).status, 202)

  const undone = await runCli(['wakatime', 'setup', '--undo', ...where], env)
  assert.equal(undone.code, 0, undone.stderr)
  assert.equal(readFileSync(cfg, 'utf8'), original)
  assert.ok(!existsSync(`${cfg}.daybook-backup`))
  assert.match(
    undone.stdout,
    /Restored .*\.wakatime\.cfg as it was before setup\.\nRevoked the key/,
  )
  assert.equal((await post(key2)).status, 401, 'undo revoked the key')

  const twice = await runCli(['wakatime', 'setup', '--undo', ...where], env)
  assert.equal(twice.code, 1)
  assert.match(twice.stderr, /nothing to undo/)

  // Without a file: setup creates one, undo removes it.
  const fresh = tempDir(t, 'waka-fresh-')
  const made = await runCli(['wakatime', 'setup', ...where], { WAKATIME_HOME: fresh })
  assert.equal(made.code, 0, made.stderr)
  assert.match(made.stdout, /\(new file\)/)
  assert.ok(existsSync(path.join(fresh, '.wakatime.cfg')))
  const removed = await runCli(['wakatime', 'setup', '--undo', ...where], { WAKATIME_HOME: fresh })
  assert.equal(removed.code, 0, removed.stderr)
  assert.ok(!existsSync(path.join(fresh, '.wakatime.cfg')))

  // The same kind of key by hand.
  const byHand = await runCli(
    ['token', 'create', '--name', 'vim', '--scope', 'ingest', '--format', 'wakatime', ...where],
    env,
  )
  assert.equal(byHand.code, 0, byHand.stderr)
  assert.match(
    byHand.stdout.trim(),
    /^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$/,
  )
  await assert.rejects(wakatimeCommand.run(['configure'], env), {
    exitCode: 2,
    message: /unknown command "configure": use setup or setup --undo/,
  })
})
