/**
 * End to end: a real X server (Xvfb), the real daemon, the real collector with its native hook;
 * xdotool types and clicks, and the counts must arrive at /activity/summary. Skips, saying why,
 * where Xvfb or xdotool is missing or the X server does not start (`.ci/run` installs both).
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { checkX11 } from '../../src/collectors/platform/uiohook.ts'
import { cleanEnv, request, startDaemon } from '../daemon.ts'

const MAIN = path.join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts')

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0
}

/** A display number nobody uses. */
function freeDisplay(): number | undefined {
  for (let n = 90; n < 140; n++) {
    if (!existsSync(`/tmp/.X11-unix/X${n}`) && !existsSync(`/tmp/.X${n}-lock`)) return n
  }
  return undefined
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(100)
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

test('typing and clicking under Xvfb arrive at /activity/summary through the collector', async (t) => {
  if (process.platform !== 'linux') return t.skip('the X11 end-to-end test runs on Linux')
  for (const tool of ['Xvfb', 'xdotool']) {
    if (!has(tool)) return t.skip(`${tool} is not installed (apt-get install xvfb xdotool)`)
  }
  const n = freeDisplay()
  if (n === undefined) return t.skip('no free X display number in :90..:139')
  const display = `:${n}`
  const xvfb = spawn('Xvfb', [display, '-screen', '0', '1024x768x24', '-nolisten', 'tcp'], {
    stdio: 'ignore',
  })
  t.after(async () => {
    if (xvfb.exitCode === null && xvfb.signalCode === null) {
      xvfb.kill('SIGTERM')
      await exited(xvfb)
    }
  })
  try {
    await until(
      'Xvfb',
      async () => {
        if (xvfb.exitCode !== null) throw new Error(`Xvfb exited with ${xvfb.exitCode}`)
        return checkX11(display).then(
          () => true,
          () => undefined,
        )
      },
      15_000,
    )
  } catch (err) {
    return t.skip(`the X server could not be started: ${(err as Error).message}`)
  }

  const d = await startDaemon(t)
  const port = d.discovery.port ?? 0
  const xdotool = (...args: string[]) => {
    const r = spawnSync('xdotool', args, { env: { ...process.env, DISPLAY: display } })
    assert.equal(r.status, 0, `xdotool ${args.join(' ')}: ${r.stderr.toString()}`)
  }
  const totals = async () => {
    const res = await request(
      { port },
      { path: '/activity/summary', headers: { authorization: `Bearer ${d.token}` } },
    )
    assert.equal(res.status, 200, res.body)
    const sum = { lc: 0, rc: 0, mc: 0, kp: 0, mm: 0, scroll: 0 }
    for (const row of JSON.parse(res.body).rows as (typeof sum)[]) {
      for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += row[k]
    }
    return sum
  }

  const collector = spawn(
    process.execPath,
    [
      MAIN,
      'watch',
      'input',
      '--data-dir',
      d.dataDir,
      '--config-dir',
      d.configDir,
      '--sample-ms',
      '100',
      '--flush-sec',
      '1',
    ],
    { env: cleanEnv({ DISPLAY: display }), stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let log = ''
  collector.stderr?.on('data', (b: Buffer) => (log += b.toString()))
  t.after(async () => {
    if (collector.exitCode === null && collector.signalCode === null) {
      collector.kill('SIGKILL')
      await exited(collector)
    }
  })
  await until('the collector to start', async () => {
    if (collector.exitCode !== null)
      throw new Error(`collector exited ${collector.exitCode}: ${log}`)
    return log.includes('counting input') ? true : undefined
  })

  // The hook is live once motion arrives; only then are exact counts produced.
  let x = 100
  await until('the first motion to arrive', async () => {
    xdotool('mousemove', String((x += 7)), '200')
    await sleep(300)
    return (await totals()).mm > 0 ? true : undefined
  })

  xdotool('type', '--delay', '20', 'abc')
  for (const button of ['1', '1', '3', '2', '4', '4', '5']) xdotool('click', button)
  xdotool('mousemove', '500', '500')
  // Give the hook thread time to see the last events before the collector is told to stop.
  await sleep(500)
  collector.kill('SIGTERM')
  assert.equal(await exited(collector), 0, log)
  assert.match(log, /SIGTERM received, sending what is left/)
  assert.match(log, /stopped; every count was sent/)

  const got = await until('the counts to arrive', async () => {
    const sum = await totals()
    return sum.kp >= 3 ? sum : undefined
  })
  assert.deepEqual(
    { kp: got.kp, lc: got.lc, rc: got.rc, mc: got.mc, scroll: got.scroll },
    { kp: 3, lc: 2, rc: 1, mc: 1, scroll: 3 },
  )
  assert.ok(got.mm >= 2, `motion counted: ${got.mm}`)
  t.diagnostic(`arrived: ${JSON.stringify(got)}`)
})
