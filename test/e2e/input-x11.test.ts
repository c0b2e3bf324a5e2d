/**
 * End to end: a real X server (Xvfb), the real daemon, the real collector with its native hook;
 * xdotool types and clicks, and the counts must arrive at /activity/summary. Skips, saying why,
 * where Xvfb or xdotool is missing or the X server does not start (`.ci/run` installs both).
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import path from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { cleanEnv, request, startDaemon } from '../daemon.ts'
import { exited, reap, startX, until } from './x11.ts'

const MAIN = path.join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts')

test('typing and clicking under Xvfb arrive at /activity/summary through the collector', async (t) => {
  const x = await startX(t, ['xdotool'])
  if ('skip' in x) return t.skip(x.skip)
  const { display } = x

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
  reap(t, collector)
  await until('the collector to start', async () => {
    if (collector.exitCode !== null)
      throw new Error(`collector exited ${collector.exitCode}: ${log}`)
    return log.includes('counting input') ? true : undefined
  })

  // The hook is live once motion arrives; only then are exact counts produced.
  let px = 100
  await until('the first motion to arrive', async () => {
    xdotool('mousemove', String((px += 7)), '200')
    await sleep(300)
    return (await totals()).mm > 0 ? true : undefined
  })

  xdotool('type', '--delay', '20', 'abc')
  for (const button of ['1', '1', '3', '2', '4', '4', '5']) xdotool('click', button)
  xdotool('mousemove', '500', '500')
  // The collector sends every second: wait until all of it has arrived (the hook thread may see
  // the last events late on a busy machine), then stop it; stopping must add nothing twice.
  const expected = { kp: 3, lc: 2, rc: 1, mc: 1, scroll: 3 }
  const counted = (sum: Awaited<ReturnType<typeof totals>>) => ({
    kp: sum.kp,
    lc: sum.lc,
    rc: sum.rc,
    mc: sum.mc,
    scroll: sum.scroll,
  })
  await until('the counts to arrive', async () => {
    const sum = counted(await totals())
    return (Object.keys(expected) as (keyof typeof expected)[]).every((k) => sum[k] >= expected[k])
      ? sum
      : undefined
  })
  collector.kill('SIGTERM')
  assert.equal(await exited(collector), 0, log)
  assert.match(log, /SIGTERM received, sending what is left/)
  assert.match(log, /stopped; every count was sent/)
  const got = await totals()
  assert.deepEqual(counted(got), expected)
  assert.ok(got.mm >= 2, `motion counted: ${got.mm}`)
  t.diagnostic(`arrived: ${JSON.stringify(got)}`)
})
