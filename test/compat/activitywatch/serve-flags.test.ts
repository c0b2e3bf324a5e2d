/**
 * `daybook serve`'s ActivityWatch options: flags over environment over defaults.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { resolveServeConfig } from '../../../src/cli/serve.ts'

test('--aw, --aw-port and --aw-open, and their variables', () => {
  const off = resolveServeConfig([], {})
  assert.deepEqual([off.aw, off.awPort, off.awOpen], [false, 5600, false])
  const flags = resolveServeConfig(['--aw', '--aw-port', '5666', '--aw-open'], {})
  assert.deepEqual([flags.aw, flags.awPort, flags.awOpen], [true, 5666, true])
  const env = resolveServeConfig([], {
    DAYBOOK_AW: '1',
    DAYBOOK_AW_PORT: '5601',
    DAYBOOK_AW_OPEN: 'true',
  })
  assert.deepEqual([env.aw, env.awPort, env.awOpen], [true, 5601, true])
  assert.equal(resolveServeConfig(['--aw-port', '5602'], { DAYBOOK_AW_PORT: '5601' }).awPort, 5602)
  assert.throws(() => resolveServeConfig(['--aw-port', 'x'], {}), /--aw-port/)
  assert.throws(() => resolveServeConfig([], { DAYBOOK_AW: 'maybe' }), /DAYBOOK_AW/)
})
