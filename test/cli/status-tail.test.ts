/**
 * `daybook status` and `daybook tail` against a real daemon process.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { test } from 'node:test'
import { DaybookClient } from '../../src/client/client.ts'
import { cleanEnv, runCli, startDaemon, startInProcess } from '../daemon.ts'
import { eventInput, tempDir } from '../helpers.ts'

const MAIN = path.join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts')

/** A running `daybook tail`: its output so far, and a way to wait for a line. */
function tail(args: string[]) {
  const child = spawn(process.execPath, [MAIN, 'tail', ...args], {
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  const waiters: (() => void)[] = []
  const wake = () => {
    for (const w of waiters.splice(0)) w()
  }
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString()
    wake()
  })
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
    wake()
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    /** Waits until stdout has a line matching `pattern`; returns it. */
    async line(pattern: RegExp): Promise<string> {
      for (;;) {
        const found = stdout.split('\n').find((l) => pattern.test(l))
        if (found !== undefined) return found
        if (child.exitCode !== null) throw new Error(`tail exited: ${stderr}`)
        await new Promise<void>((resolve) => waiters.push(resolve))
      }
    },
  }
}

test('daybook status prints what the daemon holds; exits 1 when no daemon answers', async (t) => {
  const d = await startInProcess(t)
  const flags = ['--data-dir', d.dataDir, '--config-dir', d.configDir]
  const client = DaybookClient.local({ dataDir: d.dataDir, configDir: d.configDir, env: {} })
  await client.post('/v1/events', [eventInput(), eventInput({ entity_name: 'lib.rs' })])

  const text = await runCli(['status', ...flags])
  assert.equal(text.code, 0, text.stderr)
  assert.match(text.stdout, /^daybook \d+\.\d+\.\d+ at http:\/\/127\.0\.0\.1:\d+, up /)
  assert.match(
    text.stdout,
    /stored {4}2 events, 0 AFK periods, 0 input buckets, 0 labels, 1 device/,
  )
  assert.match(text.stdout, /\n {2}skopio-vscode +\S+ +events +just now +2 items\n/)
  assert.match(text.stdout, /\nbackups {3}scheduled off; none yet in \S+\/backups\n/)

  const json = await runCli(['status', '--json', ...flags])
  assert.equal(json.code, 0, json.stderr)
  assert.equal(JSON.parse(json.stdout).counts.events, 2)

  const elsewhere = tempDir(t)
  const none = await runCli(['status', '--data-dir', elsewhere, '--config-dir', elsewhere])
  assert.equal(none.code, 1)
  assert.equal(none.stdout, '')
  assert.match(none.stderr, /^daybook status: no daybook daemon is running for .*\n$/)
})

test('daybook tail prints events as they arrive, JSON with --json, and ends with the daemon', async (t) => {
  const d = await startDaemon(t)
  const flags = ['--data-dir', d.dataDir, '--config-dir', d.configDir]
  const client = DaybookClient.local({ dataDir: d.dataDir, configDir: d.configDir, env: {} })
  const readable = tail(flags)
  const raw = tail(['--json', '--types', 'AfkChanged', ...flags])
  t.after(() => {
    readable.child.kill('SIGKILL')
    raw.child.kill('SIGKILL')
  })
  await readable.line(/DaemonStarted {2}connected/)
  await raw.line(/"DaemonStarted"/)

  await client.post('/v1/events', [eventInput({ entity_name: 'tail-me.rs' })])
  await client.post('/v1/afk', [
    { afk_start: '2025-09-11T13:00:00Z', afk_end: '2025-09-11T13:10:00Z' },
  ])
  assert.match(
    await readable.line(/EventsInserted/),
    /^\d\d:\d\d:\d\d {2}EventsInserted {2}Code · skopio · tail-me\.rs .* \(2m\) \[skopio-vscode@.+\]$/,
  )
  await readable.line(/AfkChanged {2}away/)
  const envelope = JSON.parse(await raw.line(/"AfkChanged"/)) as {
    type: string
    payload: { periods: { timestamp: string }[] }
  }
  assert.equal(envelope.payload.periods[0]?.timestamp, '2025-09-11T13:00:00Z')
  // The type filter kept the events out of the raw stream.
  assert.doesNotMatch(raw.stdout(), /EventsInserted/)

  d.child.kill('SIGTERM')
  assert.equal(await readable.exited, 0, readable.stderr())
  assert.equal(await raw.exited, 0, raw.stderr())
  assert.match(readable.stdout(), /DaemonShutdown {2}the daemon is shutting down\n$/)
})

test('daybook tail prints each input bucket as it was posted', async (t) => {
  const d = await startInProcess(t)
  const flags = ['--data-dir', d.dataDir, '--config-dir', d.configDir]
  const client = DaybookClient.local({ dataDir: d.dataDir, configDir: d.configDir, env: {} })
  const readable = tail(['--types', 'InputSample', ...flags])
  t.after(() => readable.child.kill('SIGKILL'))
  await readable.line(/DaemonStarted {2}connected/)
  // Two buckets of one batch: two lines, each with that bucket's own counts.
  const bucket = Math.floor(Date.now() / 300_000) * 300_000
  const counts = { lc: 0, rc: 0, mc: 0, kp: 0, mm: 0, scroll: 0 }
  await client.post('/v1/input', {
    source: 'tail-input',
    buckets: [
      { id: 'a', timestamp_ms: bucket - 300_000, ...counts, kp: 42, lc: 3, rc: 1, mm: 7 },
      { id: 'b', timestamp_ms: bucket, ...counts, kp: 5, mc: 2, scroll: 9 },
    ],
  })
  const hhmm = (ms: number) =>
    new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false }).format(
      ms,
    )
  assert.match(
    await readable.line(/InputSample .*keys 42/),
    new RegExp(
      `InputSample {2}${hhmm(bucket - 300_000)}:00 keys 42, clicks 4, moves 7, scrolls 0 \\[tail-input@this device\\]$`,
    ),
  )
  assert.match(
    await readable.line(/InputSample .*keys 5,/),
    new RegExp(`InputSample {2}${hhmm(bucket)}:00 keys 5, clicks 2, moves 0, scrolls 9 `),
  )
})

test('daybook tail refuses bad flags and a wrong token with one line', async (t) => {
  const d = await startInProcess(t)
  const bad = await runCli(['tail', '--after', 'soon', '--data-dir', d.dataDir])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /^daybook tail: --after must be a sequence number, got "soon"\n$/)
  const refused = await runCli(['tail', '--data-dir', d.dataDir], { DAYBOOK_TOKEN: 'wrong' })
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /^daybook tail: the daemon refused: .* \(401 unauthorized\)\n$/)
})
