import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eventInput, tempDir } from '../helpers.ts'
import { request, runCli, startInProcess } from '../daemon.ts'
import { CliError } from '../../src/cli/command.ts'
import { tokenCommand } from '../../src/cli/token.ts'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

test('daybook token create, list and revoke against a live daemon', async (t) => {
  const d = await startInProcess(t, ['--socket'])
  const where = ['--data-dir', d.dataDir, '--config-dir', d.configDir]
  const env = { TZ: 'UTC' }
  const port = d.discovery.port ?? 0

  const created = await runCli(
    ['token', 'create', '--name', 'my watcher', '--scope', 'ingest', ...where],
    env,
  )
  assert.equal(created.code, 0, created.stderr)
  const secret = created.stdout.trim()
  assert.match(secret, /^sk-[A-Za-z0-9_-]{43}$/, 'the secret alone on stdout')
  assert.match(
    created.stderr,
    /^Created token [0-9a-f]{16} "my watcher": scope ingest, expires never\.\nThe secret above is shown only this once: store it now\.\n$/,
  )
  // It works, with its scope: it may write events but not read them.
  const write = await request(
    { port },
    {
      method: 'POST',
      path: '/v1/events',
      headers: bearer(secret),
      body: JSON.stringify([eventInput()]),
    },
  )
  assert.equal(write.status, 200)
  assert.equal((await request({ port }, { path: '/v1/apps', headers: bearer(secret) })).status, 403)

  const json = await runCli(
    [
      'token',
      'create',
      '--name',
      'dash',
      '--scope',
      'read_only',
      '--expiry',
      'week',
      '--json',
      ...where,
    ],
    env,
  )
  assert.equal(json.code, 0, json.stderr)
  const dash = JSON.parse(json.stdout)
  assert.equal(dash.acl, 'read_only')
  assert.equal(dash.expires_at - dash.created_at, 7 * 86_400)

  const listed = await runCli(['token', 'list', ...where], env)
  assert.equal(listed.code, 0, listed.stderr)
  const lines = listed.stdout.trimEnd().split('\n')
  assert.equal(lines.length, 3)
  assert.match(
    lines[0] ?? '',
    /^ID\s+NAME\s+SCOPE\s+TOKEN\s+CREATED\s+EXPIRES\s+LAST USED\s+STATUS$/,
  )
  assert.match(
    lines[1] ?? '',
    /^[0-9a-f]{16}\s+my watcher\s+ingest\s+sk-\S{3}…\S{4}\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+never\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+active$/,
  )
  assert.match(lines[2] ?? '', /dash\s+read_only.*\s+never\s+active$/)
  assert.ok(!listed.stdout.includes(secret) && !listed.stdout.includes(secret.slice(6, -4)))
  const listedJson = JSON.parse((await runCli(['token', 'list', '--json', ...where], env)).stdout)
  assert.equal(listedJson.length, 2)
  // What a person can use, and no empty or misleading field.
  const watcher = listedJson.find((x: { name: string }) => x.name === 'my watcher')
  assert.deepEqual(Object.keys(watcher), [
    'id',
    'name',
    'scope',
    'format',
    'preview',
    'created',
    'expires',
    'lastUsed',
    'status',
  ])
  assert.equal(watcher.scope, 'ingest')
  assert.match(watcher.preview, /^sk-\S{3}…\S{4}$/)
  assert.match(watcher.created, /^\d{4}-\d\d-\d\dT/)
  assert.equal(watcher.expires, null)
  assert.equal(watcher.status, 'active')

  const id = (lines[1] ?? '').split(/\s+/)[0] ?? ''
  const revoked = await runCli(['token', 'revoke', id, ...where], env)
  assert.equal(revoked.code, 0, revoked.stderr)
  assert.equal(revoked.stdout, `Revoked token ${id}; it is refused from now on.\n`)
  assert.equal(
    (
      await request(
        { port },
        { method: 'POST', path: '/v1/events', headers: bearer(secret), body: '[]' },
      )
    ).status,
    401,
    'refused at once',
  )
  const after = await runCli(['token', 'list', ...where], env)
  assert.match(after.stdout, /my watcher\s+ingest.*revoked$/m)

  const unknown = await runCli(['token', 'revoke', 'feedfacefeedface', ...where], env)
  assert.equal(unknown.code, 1)
  assert.equal(unknown.stderr, 'daybook token: no token with id "feedfacefeedface"\n')

  // --url talks to the daemon over TCP instead of its socket.
  const viaUrl = await runCli(
    ['token', 'list', '--json', '--url', `http://127.0.0.1:${port}`, '--config-dir', d.configDir],
    env,
  )
  assert.equal(JSON.parse(viaUrl.stdout).length, 2)
})

test('daybook token: usage errors exit 2, refusals and a missing daemon exit 1, each with one line', async (t) => {
  const d = await startInProcess(t)
  const where = ['--data-dir', d.dataDir, '--config-dir', d.configDir]
  const cases: [string[], number, RegExp][] = [
    [['token'], 2, /name a command: create, list, revoke, delete or refresh/],
    [['token', 'frob'], 2, /unknown command "frob"/],
    [['token', 'create', '--scope', 'data'], 2, /create needs --name NAME/],
    [
      ['token', 'create', '--name', 'x'],
      2,
      /create needs --scope \(admin, read_only, data, stream, ingest\)/,
    ],
    [
      ['token', 'create', '--name', 'x', '--scope', 'root'],
      2,
      /--scope must be one of admin, read_only, data, stream, ingest, got "root"/,
    ],
    [
      ['token', 'create', '--name', 'x', '--scope', 'data', '--expiry', 'year'],
      2,
      /--expiry must be one of day, week, month, quarter, never/,
    ],
    [['token', 'revoke'], 2, /revoke needs exactly one token ID/],
    [['token', 'list', '--bogus'], 2, /bogus/],
  ]
  // Usage errors are found before the daemon is asked; run in-process to keep this test quick.
  for (const [args, code, message] of cases) {
    await assert.rejects(tokenCommand.run([...args.slice(1), ...where], {}), (err: unknown) => {
      assert.ok(err instanceof CliError, args.join(' '))
      assert.equal(err.exitCode, code, args.join(' '))
      assert.match(err.message, message, args.join(' '))
      assert.ok(!err.message.includes('\n'))
      return true
    })
  }
  const spawned = await runCli(['token', 'create', '--name', 'x', '--scope', 'root', ...where])
  assert.equal(spawned.code, 2)
  assert.equal(
    spawned.stderr,
    'daybook token: --scope must be one of admin, read_only, data, stream, ingest, got "root" (see daybook token --help)\n',
  )
  const wrong = await runCli(['token', 'list', ...where], { DAYBOOK_TOKEN: 'not-the-token' })
  assert.equal(wrong.code, 1)
  assert.equal(
    wrong.stderr,
    'daybook token: the daemon refused: missing or invalid bearer token (the admin token comes from DAYBOOK_TOKEN or <config-dir>/auth.token)\n',
  )
  const made = await request(
    { port: d.discovery.port ?? 0 },
    {
      method: 'POST',
      path: '/v1/auth/tokens',
      headers: bearer(d.token),
      body: JSON.stringify({ name: 'reader', acl: 'read_only', expiry: 'never' }),
    },
  )
  const reader = JSON.parse(made.body).token
  const lesser = await runCli(['token', 'list', ...where], { DAYBOOK_TOKEN: reader })
  assert.equal(lesser.code, 1)
  assert.match(lesser.stderr, /token does not have permission .*needs an admin token/)

  const nowhere = tempDir(t)
  const none = await runCli(['token', 'list', '--data-dir', nowhere, '--config-dir', nowhere])
  assert.equal(none.code, 1)
  assert.match(none.stderr, /^daybook token: no daybook daemon is running for .*daybook serve\)\n$/)
})

test('daybook token --help names every command, scope and expiry', async () => {
  const help = await runCli(['token', '--help'])
  assert.equal(help.code, 0)
  for (const word of [
    'create',
    'list',
    'revoke',
    'delete',
    'refresh',
    '--name',
    '--scope',
    '--expiry',
    '--json',
    '--data-dir',
    '--config-dir',
    '--url',
    'admin',
    'read_only',
    'data',
    'stream',
    'ingest',
    'day, week, month',
    'quarter',
    'never',
    'only this once',
  ]) {
    assert.ok(help.stdout.includes(word), word)
  }
  const top = await runCli(['--help'])
  assert.match(top.stdout, /token\s+Create, list, revoke or delete scoped API tokens/)
})
