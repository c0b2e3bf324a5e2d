/**
 * Start-up failures of a real `daybook serve` process: every data dir that cannot be used stops
 * the start with one line and a non-zero exit, whatever the operating system answers.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { runCli } from '../daemon.ts'
import { tempDir } from '../helpers.ts'

test(
  'a data dir whose parent cannot hold folders (/proc/daybook): one line, exit 1',
  { skip: existsSync('/proc/self') ? false : 'needs /proc, which cannot hold folders' },
  async (t) => {
    // mkdir("/proc") answers EEXIST and mkdir("/proc/daybook") ENOENT: Node's recursive mkdir
    // goes back and forth between the two for ever.
    const config = tempDir(t)
    const r = await runCli(
      ['serve', '--port', '0', '--data-dir', '/proc/daybook', '--config-dir', config],
      {},
      t,
    )
    assert.equal(r.code, 1, r.stderr)
    assert.equal(
      r.stderr,
      'daybook serve: cannot use data dir /proc/daybook: /proc does not accept new directories\n',
    )
    // The same for the config dir, where the token file is made, deeper down.
    const data = tempDir(t)
    const token = await runCli(
      ['serve', '--port', '0', '--data-dir', data, '--config-dir', '/proc/daybook/config'],
      {},
      t,
    )
    assert.equal(token.code, 1, token.stderr)
    assert.equal(
      token.stderr,
      'daybook serve: cannot use token file /proc/daybook/config/auth.token: ' +
        '/proc does not accept new directories\n',
    )
  },
)

test(
  'a token file that is a FIFO: one line, exit 1, instead of a read that never returns',
  { skip: spawnSync('mkfifo', ['--version']).error ? 'no mkfifo' : false },
  async (t) => {
    const dir = tempDir(t)
    const config = path.join(dir, 'config')
    mkdirSync(config, { mode: 0o700 })
    const token = path.join(config, 'auth.token')
    assert.equal(spawnSync('mkfifo', ['-m', '600', token]).status, 0)
    const r = await runCli(
      ['serve', '--port', '0', '--data-dir', path.join(dir, 'data'), '--config-dir', config],
      {},
      t,
    )
    assert.equal(r.code, 1, r.stderr)
    assert.equal(r.stderr, `daybook serve: cannot use token file ${token}: not a regular file\n`)
  },
)
