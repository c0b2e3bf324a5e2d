/**
 * The window and AFK watchers' logic on a fake clock: event boundaries and extension, AFK
 * transitions, privacy filters, and the outbox that keeps what the daemon has not acknowledged.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import { describe, test } from 'node:test'
import { AfkTracker } from '../../src/collectors/afk/tracker.ts'
import { Outbox } from '../../src/collectors/core/outbox.ts'
import { DesktopWatcher } from '../../src/collectors/desktop-watcher.ts'
import type { FocusedWindow } from '../../src/collectors/window/tracker.ts'
import { defaultPrivacy } from '../../src/collectors/window/privacy.ts'
import { WindowTracker, urlIn } from '../../src/collectors/window/tracker.ts'
import { tempDir } from '../helpers.ts'

const T0 = Date.UTC(2026, 3, 1, 9, 0)
const S = 1000
const iso = (ms: number) => new Date(ms).toISOString()
const editor = { app: 'Code', title: 'main.rs — daybook', executable: '/usr/bin/code' }
const browser = {
  app: 'firefox',
  title: 'Issues https://github.com/daybook/issues?q=1 — Mozilla Firefox',
}

describe('WindowTracker', () => {
  test('an event runs while app and title stay, extended as it goes; a change ends it', () => {
    const w = new WindowTracker(defaultPrivacy())
    assert.deepEqual(w.sample(editor, T0), [])
    const extended = w.sample(editor, T0 + 5 * S)
    assert.equal(extended.length, 1)
    assert.deepEqual(
      { ...extended[0] },
      {
        timestamp: iso(T0),
        end_timestamp: iso(T0 + 5 * S),
        duration: 5,
        category: 'Other',
        app_name: 'Code',
        entity_name: 'main.rs — daybook',
        entity_type: 'App',
        project_name: 'code',
        project_path: '/usr/bin/code',
        source_name: 'daybook-window',
      },
    )
    // Same start and names, later end: the daemon extends the stored event.
    assert.equal(w.sample(editor, T0 + 9 * S)[0]?.end_timestamp, iso(T0 + 9 * S))
    // Focus moves: the old event ends at the change; the new one is sent once it lasts a second.
    const changed = w.sample(browser, T0 + 10 * S)
    assert.deepEqual(
      changed.map((e) => [e.entity_name, e.end_timestamp]),
      [['main.rs — daybook', iso(T0 + 10 * S)]],
    )
    const web = w.sample(browser, T0 + 12 * S)[0]
    assert.equal(web?.timestamp, iso(T0 + 10 * S))
    assert.equal(web?.entity_type, 'Url')
    assert.equal(web?.project_name, 'github.com')
    assert.equal(web?.entity_name, 'github.com/daybook/issues')
    assert.equal(web?.category, 'Browsing')
  })

  test('the end follows the last input, so a person who left is not counted past it', () => {
    const w = new WindowTracker(defaultPrivacy())
    w.sample(editor, T0)
    assert.equal(w.sample(editor, T0 + 60 * S, T0 + 20 * S)[0]?.end_timestamp, iso(T0 + 20 * S))
    // Never shorter than what was already sent.
    assert.equal(w.sample(editor, T0 + 61 * S, T0 + 10 * S)[0]?.end_timestamp, iso(T0 + 20 * S))
    // Away since the last input: the event ends there and nothing runs until the next sample.
    assert.deepEqual(
      w.away(T0 + 20 * S).map((e) => e.end_timestamp),
      [iso(T0 + 20 * S)],
    )
    assert.deepEqual(w.sample(editor, T0 + 200 * S), [])
    assert.equal(w.sample(editor, T0 + 203 * S)[0]?.timestamp, iso(T0 + 200 * S))
  })

  test('under a second is not an event; stop ends the current one', () => {
    const w = new WindowTracker(defaultPrivacy())
    w.sample(editor, T0)
    assert.deepEqual(w.sample(browser, T0 + 500), [])
    assert.deepEqual(
      w.stop(T0 + 3 * S).map((e) => [e.app_name, e.timestamp, e.end_timestamp]),
      [['firefox', iso(T0 + 500), iso(T0 + 3 * S)]],
    )
    assert.deepEqual(w.stop(T0 + 4 * S), [])
  })

  test('privacy: excluded windows are not sent; redacted and private titles are hidden', () => {
    const w = new WindowTracker({
      ...defaultPrivacy(),
      excludeApps: [/^keepassxc$/i],
      redactTitles: [/bank/i],
    })
    w.sample({ app: 'KeePassXC', title: 'passwords.kdbx' }, T0)
    assert.deepEqual(w.sample({ app: 'KeePassXC', title: 'passwords.kdbx' }, T0 + 5 * S), [])
    w.sample({ app: 'firefox', title: 'My Bank — Mozilla Firefox' }, T0 + 5 * S)
    const bank = w.sample({ app: 'firefox', title: 'My Bank — Mozilla Firefox' }, T0 + 9 * S)
    assert.equal(bank[0]?.entity_name, '[redacted]')
    w.sample(
      { app: 'firefox', title: 'secret stuff — Mozilla Firefox Private Browsing' },
      T0 + 9 * S,
    )
    const priv = w.sample(
      { app: 'firefox', title: 'secret stuff — Mozilla Firefox Private Browsing' },
      T0 + 12 * S,
    )
    assert.equal(priv[0]?.entity_name, '[redacted]')
  })

  test('a URL in a title is found only when it is one', () => {
    assert.equal(urlIn('see http://localhost:5173/x?y — Chromium')?.host, 'localhost:5173')
    assert.equal(urlIn('no url here'), undefined)
  })
})

describe('AfkTracker', () => {
  test('away after the timeout, dated back to the last input; back at the next input', () => {
    const a = new AfkTracker(180 * S)
    assert.deepEqual(a.sample(10 * S, T0), [])
    assert.deepEqual(a.sample(179 * S, T0 + 169 * S), [])
    const started = a.sample(180 * S, T0 + 170 * S)
    assert.deepEqual(started, [
      { afk_start: iso(T0 - 10 * S), afk_end: null, source: 'daybook-afk' },
    ])
    assert.equal(a.away, true)
    assert.deepEqual(a.sample(500 * S, T0 + 490 * S), [])
    // The idle counter and our clock wobble by milliseconds: not input.
    assert.deepEqual(a.sample(500 * S - 3, T0 + 490 * S), [])
    // Input 2 s before this sample: the period ends at that input.
    assert.deepEqual(a.sample(2 * S, T0 + 600 * S), [
      { afk_start: iso(T0 - 10 * S), afk_end: iso(T0 + 598 * S), source: 'daybook-afk' },
    ])
    assert.equal(a.away, false)
  })

  test('a locked screen is away from the last input at once, until it is unlocked', () => {
    const a = new AfkTracker(180 * S)
    // Locked 20 s after the last input: away from that input, long before the timeout.
    assert.deepEqual(a.sample(20 * S, T0, true), [
      { afk_start: iso(T0 - 20 * S), afk_end: null, source: 'daybook-afk' },
    ])
    // Typing the password is input, but the screen is still locked: still away.
    assert.deepEqual(a.sample(1 * S, T0 + 600 * S, true), [])
    // Unlocked: back at the last input.
    assert.deepEqual(a.sample(0, T0 + 601 * S, false), [
      { afk_start: iso(T0 - 20 * S), afk_end: iso(T0 + 601 * S), source: 'daybook-afk' },
    ])
  })

  test('stopping while away closes the period now', () => {
    const a = new AfkTracker(60 * S)
    a.sample(61 * S, T0)
    assert.deepEqual(a.stop(T0 + 30 * S), [
      { afk_start: iso(T0 - 61 * S), afk_end: iso(T0 + 30 * S), source: 'daybook-afk' },
    ])
    assert.deepEqual(a.stop(T0 + 40 * S), [])
  })
})

describe('DesktopWatcher', () => {
  test('a suspend ends the window event at the last sample and counts the sleep as away', async () => {
    // The platform's answers, scripted: the X server's idle counter does not count the night.
    let now = T0
    let idle = 0
    const focused: FocusedWindow = editor
    const source = {
      focused: async () => focused,
      idleMs: async () => idle,
      onChange: () => {},
      close: () => {},
    }
    const sent: { kind: string; item: Record<string, unknown> }[] = []
    const watcher = new DesktopWatcher({
      source,
      clock: () => now,
      log: () => {},
      window: {
        tracker: new WindowTracker(defaultPrivacy()),
        outbox: undefined as never,
        courier: undefined as never,
      },
      afk: {
        tracker: new AfkTracker(180 * S),
        outbox: undefined as never,
        courier: undefined as never,
      },
      dryRun: (kind, item) => sent.push({ kind, item: item as Record<string, unknown> }),
    })
    for (let i = 0; i <= 10; i++) {
      now = T0 + i * S
      await watcher.tick()
    }
    // Asleep for 8 hours; on waking the idle counter says 4 s (it stood still meanwhile).
    const woke = T0 + 10 * S + 8 * 3600 * S
    now = woke
    idle = 4 * S
    await watcher.tick()
    const ends = sent.filter((s) => s.kind === 'event').map((s) => s.item.end_timestamp)
    assert.equal(ends.at(-1), iso(T0 + 10 * S), 'the event ends where the samples stopped')
    assert.ok(
      ends.every((e) => String(e) <= iso(T0 + 10 * S)),
      'never extended over the night',
    )
    const afk = sent.filter((s) => s.kind === 'afk').map((s) => s.item)
    assert.deepEqual(afk, [
      { afk_start: iso(T0 + 10 * S), afk_end: null, source: 'daybook-afk' },
      { afk_start: iso(T0 + 10 * S), afk_end: iso(woke - 4 * S), source: 'daybook-afk' },
    ])
    // Back at work: a new event begins after the wake-up.
    now = woke + 5 * S
    idle = 0
    await watcher.tick()
    const last = sent.filter((s) => s.kind === 'event').at(-1)?.item
    assert.equal(last?.timestamp, iso(woke))
  })
})

describe('Outbox', () => {
  test('keeps items across restarts; a newer version survives the ack of an older one', (t) => {
    const file = path.join(tempDir(t), 'spool', 'window.json')
    const logs: string[] = []
    const box = new Outbox<{ end: number }>(file, (l) => logs.push(l))
    box.put([
      ['a', { end: 1 }],
      ['b', { end: 1 }],
    ])
    const sent = box.entries()
    box.put([['a', { end: 2 }]]) // extended while the send was in flight
    box.ack(sent)
    assert.deepEqual(
      box.entries().map((s) => [s.key, s.item]),
      [['a', { end: 2 }]],
    )
    const reopened = new Outbox<{ end: number }>(file, (l) => logs.push(l))
    assert.deepEqual(
      reopened.entries().map((s) => [s.key, s.item]),
      [['a', { end: 2 }]],
    )
    assert.deepEqual(logs, [])
  })
})
