/**
 * Start-up failures of a real `daybook serve` process: every data dir that cannot be used stops
 * the start with one line and a non-zero exit, whatever the operating system answers.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
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
