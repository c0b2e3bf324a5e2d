/**
 * The screenshots part of the store conformance suite (called from `conformance.ts`): settings
 * saved and read back (defaults when never saved), frames inserted once by file name, found near
 * a moment nearest first, searched by their text with BM25 and a marked snippet, counted, pruned
 * by age and by the size cap oldest first, purged by range or all.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { DEFAULT_SCREENSHOT_CONFIG, framePath } from '../../src/domain/screenshots.ts'
import type { NewFrame } from '../../src/store/ports.ts'
import type { StoreFactory } from './conformance.ts'

const T0 = Date.parse('2025-09-11T09:00:00Z')

function frame(atMs: number, overrides: Partial<NewFrame> = {}): NewFrame {
  return {
    ...framePath(atMs, 'laptop'),
    atMs,
    device: 'laptop',
    app: 'xterm',
    title: 'a terminal',
    url: null,
    bytes: 1000,
    width: 640,
    height: 480,
    hash: '00ff00ff00ff00ff',
    text: null,
    ocrMs: null,
    ...overrides,
  }
}

const names = (list: { filename: string }[]) => list.map((f) => f.filename).sort()

export function screenshotsConformance(name: string, open: StoreFactory): void {
  if (name === 'postgres') {
    // Frames stay in the SQLite store of the machine that takes them; what the PostgreSQL
    // store's screenshots port answers is tested here.
    test(`${name}: screenshots are off, empty, and cannot be turned on`, async (t) => {
      const store = await open(t)
      assert.deepEqual(await store.screenshots.settings(), {
        config: DEFAULT_SCREENSHOT_CONFIG,
        pause: null,
      })
      assert.deepEqual(await store.screenshots.totals(), { frames: 0, bytes: 0, oldestMs: null })
      await assert.rejects(
        store.screenshots.saveSettings({
          config: { ...DEFAULT_SCREENSHOT_CONFIG, enabled: true },
          pause: null,
        }),
        { code: 'screenshots_need_sqlite' },
      )
    })
    return
  }
  describe(`${name}: screenshots`, () => {
    test('settings are the defaults until saved, then what was saved', async (t) => {
      const store = await open(t)
      assert.deepEqual(await store.screenshots.settings(), {
        config: DEFAULT_SCREENSHOT_CONFIG,
        pause: null,
      })
      const saved = {
        config: { ...DEFAULT_SCREENSHOT_CONFIG, enabled: true, intervalSecs: 10 },
        pause: { untilMs: T0 },
      }
      await store.screenshots.saveSettings(saved)
      assert.deepEqual(await store.screenshots.settings(), saved)
      await store.screenshots.saveSettings({ ...saved, pause: null })
      assert.deepEqual((await store.screenshots.settings()).pause, null)
    })

    test('a frame is stored once per file name; totals count frames, bytes and the oldest', async (t) => {
      const store = await open(t)
      assert.deepEqual(await store.screenshots.totals(), { frames: 0, bytes: 0, oldestMs: null })
      assert.equal(await store.screenshots.insert(frame(T0 + 60_000)), true)
      assert.equal(await store.screenshots.insert(frame(T0, { bytes: 500 })), true)
      assert.equal(await store.screenshots.insert(frame(T0, { bytes: 9 })), false)
      assert.deepEqual(await store.screenshots.totals(), { frames: 2, bytes: 1500, oldestMs: T0 })
      // Another device's frame of the same name is another frame.
      assert.equal(await store.screenshots.insert(frame(T0, { device: 'desk', bytes: 7 })), true)
      assert.deepEqual(await store.screenshots.totals(), { frames: 3, bytes: 1507, oldestMs: T0 })
      // A purged frame is not stored again under its name (a purge stays a purge).
      await store.screenshots.purge({ startMs: T0 + 60_000 })
      assert.equal(await store.screenshots.insert(frame(T0 + 60_000)), false)
    })

    test('frames around a moment: within the window, nearest first, at most the limit', async (t) => {
      const store = await open(t)
      for (const s of [0, 10, 25, 40, 300]) await store.screenshots.insert(frame(T0 + s * 1000))
      const near = await store.screenshots.around(T0 + 22_000, 20_000, 10)
      assert.deepEqual(
        near.map((f) => (f.atMs - T0) / 1000),
        [25, 10, 40, 0].filter((s) => Math.abs(s - 22) <= 20),
      )
      assert.equal((await store.screenshots.around(T0 + 22_000, 20_000, 1)).length, 1)
      const full = await store.screenshots.around(T0 + 300_000, 0, 5)
      assert.deepEqual(full, [{ ...frame(T0 + 300_000), here: true }])
    })

    test('text search: every word as a prefix, best match first, a marked snippet, in range', async (t) => {
      const store = await open(t)
      await store.screenshots.insert(
        frame(T0, { text: 'Quarterly revenue chart for the board meeting', app: 'firefox' }),
      )
      await store.screenshots.insert(
        frame(T0 + 1000, { text: 'revenue revenue revenue chart chart' }),
      )
      await store.screenshots.insert(frame(T0 + 2000, { text: null, title: 'Revenue notes' }))
      await store.screenshots.insert(frame(T0 + 3000, { text: 'nothing relevant here' }))
      const hits = await store.screenshots.searchText('revenue char', {}, 10)
      assert.deepEqual(names(hits.map((h) => h.frame)), names([frame(T0), frame(T0 + 1000)]))
      assert.equal(hits[0]?.frame.atMs, T0 + 1000, 'the denser match ranks first')
      assert.ok(hits.every((h, i) => i === 0 || (hits[i - 1]?.rank ?? 0) <= (h.rank ?? 0)))
      assert.match(hits[1]?.snippet ?? '', /«revenue» «chart»/i)
      assert.equal(hits[1]?.frame.app, 'firefox')
      const byTitle = await store.screenshots.searchText('notes', {}, 10)
      assert.deepEqual(
        byTitle.map((h) => h.frame.atMs),
        [T0 + 2000],
      )
      const ranged = await store.screenshots.searchText('revenue', { startMs: T0 + 500 }, 10)
      assert.deepEqual(ranged.map((h) => h.frame.atMs).sort(), [T0 + 1000, T0 + 2000])
      assert.equal((await store.screenshots.searchText('revenue', {}, 1)).length, 1)
      assert.deepEqual(await store.screenshots.searchText(' "*( ', {}, 10), [])
      assert.deepEqual(await store.screenshots.searchText('absent', {}, 10), [])
    })

    test('text search: words in most frames do not rank; all common, the newest come first unranked', async (t) => {
      const store = await open(t)
      const texts = [
        'the weather forecast for the river',
        'the river the river the river camera',
        'the budget review',
        'the camera album',
        'the piano lesson',
      ]
      for (const [i, text] of texts.entries()) {
        await store.screenshots.insert(frame(T0 + i * 1000, { text }))
      }
      // "the" is in every frame: the rank is the rarer word's, the denser match first.
      const ranked = await store.screenshots.searchText('the river', {}, 10)
      assert.deepEqual(
        ranked.map((h) => h.frame.atMs),
        [T0 + 1000, T0],
      )
      assert.ok(ranked.every((h) => typeof h.rank === 'number'))
      assert.match(ranked[1]?.snippet ?? '', /«the» weather forecast for «the» «river»/)
      // Only common words: newest first, no rank, in the range.
      const common = await store.screenshots.searchText('th', { startMs: T0 + 1000 }, 3)
      assert.deepEqual(
        common.map((h) => [h.frame.atMs, h.rank]),
        [
          [T0 + 4000, null],
          [T0 + 3000, null],
          [T0 + 2000, null],
        ],
      )
      assert.equal(common[0]?.snippet, '«the» piano lesson')
      // Short prefixes are words' prefixes too, accents aside.
      await store.screenshots.insert(frame(T0 + 9000, { text: 'Réunion café' }))
      assert.deepEqual(
        (await store.screenshots.searchText('reu CA', {}, 10)).map((h) => h.snippet),
        ['«Réunion» «café»'],
      )
    })

    test('a range far in the past with only common words: its newest frames, none newer', async (t) => {
      const store = await open(t)
      for (let i = 0; i < 60; i++) {
        await store.screenshots.insert(frame(T0 + i * 60_000, { text: `the report ${i}` }))
      }
      const past = await store.screenshots.searchText(
        'the report',
        { startMs: T0, endMs: T0 + 5 * 60_000 },
        3,
      )
      assert.deepEqual(
        past.map((h) => [h.frame.atMs, h.rank]),
        [4, 3, 2].map((i) => [T0 + i * 60_000, null]),
      )
      const none = await store.screenshots.searchText('the', { endMs: T0 }, 3)
      assert.deepEqual(none, [])
    })

    test('pruning deletes frames past retention, then the oldest until under the size cap', async (t) => {
      const store = await open(t)
      for (let i = 0; i < 6; i++) {
        await store.screenshots.insert(frame(T0 + i * 60_000, { bytes: 100, text: `frame ${i}` }))
      }
      const old = await store.screenshots.prune(T0 + 60_000, 10_000)
      assert.deepEqual(names(old), names([frame(T0)]))
      const capped = await store.screenshots.prune(T0, 250)
      assert.deepEqual(names(capped), names([1, 2, 3].map((i) => frame(T0 + i * 60_000))))
      assert.deepEqual(await store.screenshots.totals(), {
        frames: 2,
        bytes: 200,
        oldestMs: T0 + 4 * 60_000,
      })
      assert.deepEqual(await store.screenshots.prune(T0, 200), [])
      // The text index follows: a deleted frame is no longer found.
      assert.deepEqual(await store.screenshots.searchText('frame', {}, 10).then((h) => h.length), 2)
    })

    test('purging deletes the frames of a range, or all of them', async (t) => {
      const store = await open(t)
      for (let i = 0; i < 4; i++) {
        await store.screenshots.insert(frame(T0 + i * 60_000, { text: 'same words' }))
      }
      const some = await store.screenshots.purge({ startMs: T0 + 60_000, endMs: T0 + 180_000 })
      assert.deepEqual(names(some), names([1, 2].map((i) => frame(T0 + i * 60_000))))
      const rest = await store.screenshots.purge({})
      assert.deepEqual(names(rest), names([0, 3].map((i) => frame(T0 + i * 60_000))))
      assert.deepEqual(await store.screenshots.totals(), { frames: 0, bytes: 0, oldestMs: null })
      assert.deepEqual(await store.screenshots.searchText('same', {}, 10), [])
    })
  })
}
