/**
 * `daybook service`: the units it writes start the real launcher with the pinned Node, restart
 * on failure, and pass systemd's own checker where the machine has it.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { DAYBOOK_VERSION } from '../../src/version.ts'
import { runCli } from '../daemon.ts'
import { tempDir } from '../helpers.ts'

const ROOT = path.resolve(import.meta.dirname, '..', '..')
/** The Node the project pins (the `node` devDependency): what a unit must run the daemon with. */
const PINNED_NODE = path.join(ROOT, 'node_modules', 'node', 'bin', 'node')

test('service install --unit-dir writes the daemon and watcher units; uninstall removes them', async (t) => {
  if (process.platform !== 'linux') return t.skip('systemd units are written on Linux')
  const dir = tempDir(t)
  const installed = await runCli(['service', 'install', '--aw', '--unit-dir', dir])
  assert.equal(installed.code, 0, installed.stderr)
  assert.deepEqual(readdirSync(dir).sort(), ['daybook-watch.service', 'daybook.service'])
  const daemon = readFileSync(`${dir}/daybook.service`, 'utf8')
  // The command line is this checkout's launcher under the pinned Node, and it runs.
  const [, node, script] =
    /^ExecStart=(\S+) (\S+) serve --aw$/m.exec(daemon) ?? assert.fail(`no ExecStart: ${daemon}`)
  assert.deepEqual([node, script], [PINNED_NODE, path.join(ROOT, 'bin', 'daybook.js')])
  const ran = spawnSync(node as string, [script as string, '--version'], { encoding: 'utf8' })
  assert.equal(ran.status, 0, ran.stderr)
  assert.equal(ran.stdout.trim(), DAYBOOK_VERSION)
  assert.match(daemon, /^Restart=on-failure$/m)
  const watch = readFileSync(`${dir}/daybook-watch.service`, 'utf8')
  assert.match(watch, new RegExp(`^ExecStart=${node} ${script} watch$`, 'm'))
  assert.match(watch, /^WantedBy=graphical-session.target$/m)

  const analyze = spawnSync(
    'systemd-analyze',
    ['verify', `${dir}/daybook.service`, `${dir}/daybook-watch.service`],
    {
      encoding: 'utf8',
    },
  )
  if (analyze.error) t.diagnostic('systemd-analyze is not installed: the units were not verified')
  else {
    // Only problems with our units count; a container without a running systemd adds noise.
    const ours = `${analyze.stdout}${analyze.stderr}`
      .split('\n')
      .filter((l) => l.includes('daybook') && !/Failed to|Cannot|not found|No such/i.test(l))
    assert.deepEqual(ours, [], `${analyze.stdout}${analyze.stderr}`)
  }

  const status = await runCli(['service', 'status', '--unit-dir', dir])
  assert.equal(status.code, 0, status.stderr)
  const removed = await runCli(['service', 'uninstall', '--unit-dir', dir])
  assert.equal(removed.code, 0, removed.stderr)
  assert.equal(existsSync(`${dir}/daybook.service`), false)
  const printed = await runCli(['service', 'install', '--no-watch', '--print'])
  assert.match(printed.stdout, /# daybook.service\n\[Unit\]/)
  assert.doesNotMatch(printed.stdout, /daybook-watch/)
  const bad = await runCli(['service', 'start'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /^daybook service: name one command: install, uninstall or status\n/)
})
