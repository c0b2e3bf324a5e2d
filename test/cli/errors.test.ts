/**
 * The CLI's failure paths, through the real binary: one line on stderr, a non-zero exit, never a
 * stack trace, whatever the user typed or wherever the output goes.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import http from 'node:http'
import path from 'node:path'
import { test } from 'node:test'
import { type RunningDaemon, cleanEnv, runCli, startInProcess } from '../daemon.ts'
import { fileScope, tempDir } from '../helpers.ts'

const MAIN = path.join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts')

/**
 * One daemon for the tests that only read it (`status` in its ways), started by the first of
 * them; the test that deletes and refreshes tokens has its own.
 */
const file = fileScope()
let shared: Promise<RunningDaemon> | undefined
const readOnlyDaemon = () => (shared ??= startInProcess(file))

test('an unknown option: one line and the usage line, exit 2', async () => {
  const r = await runCli(['summary', '--frobnicate'])
  assert.equal(r.code, 2)
  assert.equal(
    r.stderr,
    'daybook summary: unknown option --frobnicate\n' +
      'Usage: daybook summary [options] (see daybook summary --help)\n',
  )
  const missing = await runCli(['summary', '--range'])
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /^daybook summary: option --range needs a value\n/)
})

test('--url: a bare host:port works; a non-URL or a server that is not Daybook is one line', async (t) => {
  const d = await readOnlyDaemon()
  const env = { DAYBOOK_TOKEN: d.token }
  const bare = await runCli(['status', '--url', `127.0.0.1:${d.discovery.port ?? 0}`], env)
  assert.equal(bare.code, 0, bare.stderr)
  assert.match(bare.stdout, /^daybook \d/)

  const bad = await runCli(['status', '--url', 'ftp://example'], env)
  assert.equal(bad.code, 1)
  assert.equal(
    bad.stderr,
    'daybook status: "ftp://example" is not a daemon URL; use one such as http://127.0.0.1:5610\n',
  )

  const other = http.createServer((_req, res) => res.end('<!DOCTYPE html><p>hello</p>'))
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
  t.after(() => other.close())
  const port = (other.address() as { port: number }).port
  const html = await runCli(['status', '--url', `http://127.0.0.1:${port}`], env)
  assert.equal(html.code, 1)
  assert.equal(
    html.stderr,
    `daybook status: http://127.0.0.1:${port} did not answer like a Daybook daemon (HTTP 200, not JSON)\n`,
  )
})

test('a closed pipe ends the command quietly with the SIGPIPE status', async () => {
  const d = await readOnlyDaemon()
  const child = spawn(
    process.execPath,
    [MAIN, 'status', '--data-dir', d.dataDir, '--config-dir', d.configDir],
    { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  )
  // The reader is gone before the command writes a byte.
  child.stdout.destroy()
  let stderr = ''
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  assert.equal(code, 141)
  assert.equal(stderr, '')
})

test('a 401 because the token file is gone names the file', async (t) => {
  const d = await readOnlyDaemon()
  const elsewhere = tempDir(t)
  const r = await runCli(['status', '--data-dir', d.dataDir, '--config-dir', elsewhere])
  assert.equal(r.code, 1)
  assert.equal(r.stderr.split('\n').length, 2, r.stderr)
  assert.match(
    r.stderr,
    new RegExp(
      `401 unauthorized\\); no token was sent: the token file ${elsewhere}/auth.token is missing`,
    ),
  )
})

test('daybook token delete and refresh', async (t) => {
  const d = await startInProcess(t)
  const flags = ['--data-dir', d.dataDir, '--config-dir', d.configDir]
  const made = await runCli(['token', 'create', '--name', 'w', '--scope', 'ingest', ...flags])
  assert.equal(made.code, 0, made.stderr)
  const list = JSON.parse((await runCli(['token', 'list', '--json', ...flags])).stdout) as {
    id: string
  }[]
  const id = list[0]?.id ?? ''
  const deleted = await runCli(['token', 'delete', id, ...flags])
  assert.equal(deleted.code, 0, deleted.stderr)
  assert.equal(
    deleted.stdout,
    `Deleted token ${id}; it is refused from now on and no longer listed.\n`,
  )
  assert.deepEqual(JSON.parse((await runCli(['token', 'list', '--json', ...flags])).stdout), [])
  const again = await runCli(['token', 'delete', id, ...flags])
  assert.equal(again.code, 1)
  assert.match(again.stderr, /no token with id/)

  const refreshed = await runCli(['token', 'refresh', ...flags])
  assert.equal(refreshed.code, 0, refreshed.stderr)
  assert.doesNotMatch(refreshed.stdout, new RegExp(d.token))
  // The old secret is refused; the CLI reads the new one from the rewritten file.
  const old = await runCli(['status', ...flags], { DAYBOOK_TOKEN: d.token })
  assert.equal(old.code, 1)
  assert.equal((await runCli(['status', ...flags])).code, 0)
})
