import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { type TestContext, describe, test } from 'node:test'
import { DaybookClient } from '../../src/client/client.ts'
import { type Delivery, type SendResult, backoffMs } from '../../src/collectors/core/courier.ts'
import { lockSpoolDir } from '../../src/collectors/core/lock.ts'
import { Outbox } from '../../src/collectors/core/outbox.ts'
import { InputCollector } from '../../src/collectors/input/collector.ts'
import { type InputItem, readInputSpoolV1 } from '../../src/collectors/input/deliveries.ts'
import { tempDir } from '../helpers.ts'

const B0 = Date.UTC(2026, 3, 1, 10, 0) // a bucket start
const FIVE = 300_000

/**
 * The network end of the collector, scripted: records what it was given and answers what the
 * test says (the real deliveries are tested against a real daemon in deliveries.test.ts).
 */
class ScriptedServer implements Delivery<InputItem> {
  readonly calls: InputItem[][] = []
  /** What the next sends answer; ok when the list is empty. */
  answers: (SendResult | Error)[] = []
  async send(_client: DaybookClient, items: readonly InputItem[]): Promise<SendResult> {
    this.calls.push(items.map((e) => ({ ...e })))
    const answer = this.answers.shift() ?? { accepted: items.length }
    if (answer instanceof Error) throw answer
    return answer
  }
}

const inputFile = (dir: string) => path.join(dir, 'spool', 'input.json')
const openOutbox = (dir: string, log: (l: string) => void = () => {}) =>
  new Outbox<InputItem>(inputFile(dir), log, readInputSpoolV1)

function setup(t: TestContext, dir = tempDir(t), flushMs = 30_000, verbose = false) {
  let now = B0 + 10_000
  const clock = {
    now: () => now,
    set: (ms: number) => (now = ms),
    add: (ms: number) => (now += ms),
  }
  const sender = new ScriptedServer()
  const logs: string[] = []
  const spool = openOutbox(dir)
  const collector = new InputCollector({
    outbox: spool,
    delivery: sender,
    client: () => new DaybookClient({ endpoint: { baseUrl: 'http://127.0.0.1:9' } }),
    target: 'fake-server',
    clock: clock.now,
    flushMs,
    retryBaseMs: 1000,
    retryMaxMs: 60_000,
    log: (l) => logs.push(l),
    verbose,
  })
  return { dir, clock, sender, logs, spool, collector }
}

const counts = (e: InputItem) => ({
  t: e.bucketMs,
  lc: e.lc,
  rc: e.rc,
  mc: e.mc,
  kp: e.kp,
  mm: e.mm,
  scroll: e.scroll,
})
const zero = { lc: 0, rc: 0, mc: 0, kp: 0, mm: 0, scroll: 0 }

describe('InputCollector', () => {
  test('counts go to the bucket they arrived in, even when sampled after it ended; a flush sends each bucket once', async (t) => {
    const { clock, sender, collector } = setup(t, undefined, 600_000)
    collector.record('kp', 1)
    collector.record('kp', 2)
    collector.record('mm', 10)
    clock.set(B0 + FIVE - 1)
    await collector.tick() // sampled into B0, no flush yet
    assert.equal(sender.calls.length, 0)
    // Counted in B0's last millisecond, sampled only after B1 began: still B0's.
    collector.record('lc')
    collector.record('scroll', 3)
    clock.set(B0 + FIVE + 1000) // rolled over into B1
    await collector.tick()
    collector.record('rc')
    collector.record('mc')
    collector.record('kp', 0) // nothing
    collector.record('kp', Number.NaN) // nothing
    await collector.tick() // samples into B1
    assert.equal(sender.calls.length, 0)
    clock.set(B0 + 10_000 + 600_000)
    await collector.tick() // the flush interval has passed
    assert.equal(sender.calls.length, 1)
    assert.deepEqual(sender.calls[0]?.map(counts), [
      { t: B0, ...zero, kp: 3, mm: 10, lc: 1, scroll: 3 },
      { t: B0 + FIVE, ...zero, rc: 1, mc: 1 },
    ])
    assert.equal(new Set(sender.calls[0]?.map((e) => e.id)).size, 2)
  })

  test('the first send says the collector is connected; --verbose reports every 5 minutes', async (t) => {
    for (const verbose of [false, true]) {
      const { clock, logs, collector } = setup(t, undefined, 30_000, verbose)
      const minute = async (keys: number) => {
        collector.record('kp', keys)
        collector.record('lc')
        clock.add(60_000)
        await collector.tick()
      }
      await minute(5)
      assert.deepEqual(logs, [
        'connected: sent 1 bucket to fake-server (5 keys, 1 click, 0 scrolls, 0 moves); from now on every 30 s',
      ])
      for (let i = 0; i < 4; i++) await minute(1)
      assert.equal(logs.length, 1, 'nothing more within 5 minutes')
      await minute(2)
      if (verbose) {
        assert.equal(logs.length, 2)
        assert.match(
          logs[1] ?? '',
          /^sent \d+ buckets? to fake-server \(6 keys, 5 clicks, 0 scrolls, 0 moves\)$/,
        )
      } else assert.equal(logs.length, 1, 'quiet without --verbose')
    }
  })

  test('a flush sends only when there is something new', async (t) => {
    const { clock, sender, collector, spool } = setup(t)
    for (let i = 0; i < 5; i++) {
      clock.add(30_000)
      await collector.tick()
    }
    assert.equal(sender.calls.length, 0)
    assert.equal(existsSync(spool.file), false)
    collector.record('kp')
    clock.add(30_000)
    await collector.tick()
    clock.add(30_000)
    await collector.tick()
    assert.equal(sender.calls.length, 1)
  })

  test('a failed send keeps everything on disk and retries with capped backoff, same ids', async (t) => {
    const { clock, sender, collector, spool, logs } = setup(t)
    sender.answers = [
      new Error('connect ECONNREFUSED 127.0.0.1:5610'),
      { accepted: 0, failure: { status: 500, message: 'internal error' } },
      { accepted: 0, failure: { status: 401, message: 'unauthorized' } },
      { accepted: 0, failure: { status: 302, message: 'moved' } },
    ]
    collector.record('kp', 4)
    clock.add(30_000)
    await collector.tick()
    assert.equal(sender.calls.length, 1)
    const onDisk = JSON.parse(readFileSync(spool.file, 'utf8')) as {
      items: [string, InputItem, boolean][]
    }
    assert.deepEqual(
      onDisk.items.map(([, item, offered]) => [item.kp, offered]),
      [[4, true]],
    )
    assert.match(logs.at(-1) ?? '', /ECONNREFUSED.*1 bucket kept in .*input\.json, retrying in 1 s/)

    const id = sender.calls[0]?.[0]?.id
    const expectRetryAfter = async (waitMs: number) => {
      const before = sender.calls.length
      clock.add(waitMs - 1)
      await collector.tick()
      assert.equal(sender.calls.length, before, `not before ${waitMs} ms`)
      clock.add(1)
      await collector.tick()
      assert.equal(sender.calls.length, before + 1, `after ${waitMs} ms`)
      assert.equal(sender.calls.at(-1)?.[0]?.id, id)
    }
    await expectRetryAfter(1000)
    assert.match(logs.at(-1) ?? '', /HTTP 500: internal error.*retrying in 2 s/)
    await expectRetryAfter(2000)
    assert.match(
      logs.at(-1) ?? '',
      /fake-server refused the key \(401 unauthorized\): check --key-file, DAYBOOK_KEY, DAYBOOK_TOKEN or the token file; 1 bucket kept/,
    )
    await expectRetryAfter(4000)
    assert.match(logs.at(-1) ?? '', /HTTP 302/)
    assert.equal(collector.failures, 4)
    await expectRetryAfter(8000) // succeeds
    assert.equal(collector.failures, 0)
    assert.equal(spool.size, 0)
    assert.equal(existsSync(spool.file), false)
    assert.match(logs.at(-1) ?? '', /sent 1 bucket to fake-server after 4 failed attempts/)
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 50].map((f) => backoffMs(f, 1000, 60_000)),
      [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000],
    )
  })

  test('counts for a bucket already offered go to a new entry; both arrive once', async (t) => {
    const { clock, sender, collector, spool } = setup(t)
    sender.answers = [new Error('timeout')]
    collector.record('kp', 1)
    clock.add(30_000)
    await collector.tick() // offered, failed
    collector.record('kp', 2)
    clock.add(30_000) // a flush tick during backoff? backoff is 1 s: this is a retry too
    await collector.tick()
    const last = sender.calls.at(-1) ?? []
    assert.equal(last.length, 2)
    assert.deepEqual(
      last.map((e) => [e.bucketMs, e.kp]),
      [
        [B0, 1],
        [B0, 2],
      ],
    )
    assert.equal(last[0]?.id, sender.calls[0]?.[0]?.id, 'the offered entry is unchanged')
    assert.equal(spool.size, 0)
  })

  test('a partial success removes only the acknowledged entries', async (t) => {
    const { clock, sender, collector, spool } = setup(t)
    collector.record('kp')
    collector.sample()
    clock.add(FIVE)
    collector.record('lc')
    clock.add(30_000)
    sender.answers = [{ accepted: 1, failure: { status: 503, message: 'starting' } }]
    await collector.tick()
    assert.deepEqual(
      spool.entries().map((e) => e.item.lc),
      [1],
    )
  })

  test('a restart resumes from the spool and sends the same ids', async (t) => {
    const first = setup(t)
    first.sender.answers = [new Error('down')]
    first.collector.record('mm', 7)
    first.clock.add(30_000)
    await first.collector.tick()
    const sentId = first.sender.calls[0]?.[0]?.id

    const second = setup(t, first.dir)
    assert.equal(second.spool.size, 1)
    await second.collector.flush()
    assert.deepEqual(
      second.sender.calls.map((c) => c.map((e) => [e.id, e.mm])),
      [[[sentId, 7]]],
    )
    assert.equal(existsSync(inputFile(first.dir)), false)
  })

  test('stop() sends what is left, even while backing off; a failure leaves it on disk', async (t) => {
    const { clock, sender, collector, spool, logs } = setup(t)
    collector.record('kp', 2)
    clock.add(5_000)
    assert.equal(await collector.stop(), true)
    assert.deepEqual(
      sender.calls.map((c) => c.map((e) => e.kp)),
      [[2]],
    )

    sender.answers = [new Error('down'), new Error('still down')]
    collector.record('lc', 1)
    clock.add(30_000)
    await collector.tick() // fails; backing off
    collector.record('lc', 1) // not even sampled yet
    assert.equal(await collector.stop(), false)
    assert.equal(sender.calls.length, 3, 'stop tried despite the backoff')
    assert.match(logs.at(-1) ?? '', /sent at the next start/)
    const reopened = openOutbox(path.dirname(path.dirname(spool.file)))
    assert.deepEqual(
      reopened.entries().map((e) => e.item.lc),
      [1, 1],
    )
  })
})

describe('input outbox', () => {
  test('an unreadable outbox is moved aside, not overwritten', (t) => {
    const dir = tempDir(t)
    const file = inputFile(dir)
    lockSpoolDir(dir)() // creates the dir
    writeFileSync(file, '{"version":2,"items":[["a",')
    const warnings: string[] = []
    const box = openOutbox(dir, (w) => warnings.push(w))
    assert.equal(box.size, 0)
    assert.match(warnings[0] ?? '', /unreadable.*moved to/)
    assert.equal(readdirSync(path.dirname(file)).filter((f) => f.includes('corrupt')).length, 1)
  })

  test('counts an earlier release left in its spool are sent under the same ids', async (t) => {
    const dir = tempDir(t)
    lockSpoolDir(dir)()
    const old = { lc: 0, rc: 0, mc: 0, mm: 0, scroll: 0 }
    writeFileSync(
      inputFile(dir),
      JSON.stringify({
        version: 1,
        entries: [
          { id: 'offered-once', bucketMs: B0, offered: true, ...old, kp: 3 },
          { id: 'never-sent', bucketMs: B0 + FIVE, offered: false, ...old, kp: 4 },
        ],
      }),
    )
    const { sender, collector, spool } = setup(t, dir)
    assert.deepEqual(
      spool.entries().map((e) => [e.key, e.offered]),
      [
        ['offered-once', true],
        ['never-sent', false],
      ],
    )
    // New counts for the bucket that was offered go to a new item; the other one takes them.
    collector.record('kp', 1)
    await collector.stop()
    assert.equal(sender.calls.length, 1)
    const sent = sender.calls[0] ?? []
    assert.deepEqual(
      sent.slice(0, 2).map((e) => [e.id, e.kp]),
      [
        ['offered-once', 3],
        ['never-sent', 4],
      ],
    )
    assert.equal(
      sent.reduce((n, e) => n + e.kp, 0),
      8,
    )
  })
})

describe('spool lock', () => {
  test('one watcher per spool dir: a live holder is refused, a stale lock is taken over', (t) => {
    const dir = tempDir(t)
    const release = lockSpoolDir(dir)
    const lock = path.join(dir, 'spool', 'watch.lock')
    assert.equal(readFileSync(lock, 'utf8').trim(), String(process.pid))
    // The same process again (a restart in one process) may take it; another live pid may not.
    writeFileSync(lock, `${process.ppid}\n`)
    assert.throws(
      () => lockSpoolDir(dir),
      new RegExp(`another watcher \\(pid ${process.ppid}\\) is using .*one daybook watch process`),
    )
    writeFileSync(lock, '999999999\n') // no such process
    const again = lockSpoolDir(dir)
    again()
    assert.equal(existsSync(lock), false)
    release()
  })
})
