/**
 * `npm run bench -- --screenshots`: the screenshot figures issue 26 asks for, on this machine.
 *
 * - Capture plus encode of a 1920×1080 frame (X11 GetImage of the screen of an Xvfb server, the
 *   perceptual hash, WebP): p50/p95 over `--runs` frames.
 * - OCR of such a frame (an xmessage window of text on it): p50/p95 over a few frames, the pool
 *   started once beforehand.
 * - The collector's CPU at the default interval: a real daemon and `daybook watch screenshots`
 *   with capture on, the watcher's user+system CPU over `--minutes` (default 10) from
 *   /proc/<pid>/stat, as a share of one core. The screen changes before each frame (a new
 *   sentence), so no frame is skipped as identical: the worst case.
 * - Search over `--frames` (default 100,000) frames' text: the rows written straight into the
 *   store's schema (text of a Zipf-like vocabulary, 40–400 words a frame), then p50/p95 of
 *   `searchText` through the store port: typical queries, the worst case (words in nearly every
 *   frame), a range of the last week and one of the first week (the far past), apart.
 *   `--search-only` runs this part alone (no X server needed).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { setTimeout as sleep } from 'node:timers/promises'
import { x11Screen } from '../src/collectors/platform/x11-screen.ts'
import { encodeWebp, frameFacts, ocrImage } from '../src/collectors/screenshots/frame.ts'
import { startOcrPool } from '../src/collectors/screenshots/ocr.ts'
import { readDiscovery } from '../src/config/discovery.ts'
import { framePath, quantile } from '../src/domain/screenshots.ts'
import { openStore } from '../src/store/open.ts'

const ROOT = path.join(import.meta.dirname, '..')
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts')
const WORDS = (
  'revenue chart meeting board quarterly budget draft review design sprint backlog deploy ' +
  'server latency error report invoice customer contract schedule holiday travel flight ' +
  'hotel recipe garden piano lesson invoice patch kernel driver laptop screen window editor ' +
  'terminal browser search result weather forecast river mountain camera photo album'
).split(' ')

interface SearchFigures {
  p50: number | null
  p95: number | null
  queries: number
  words: string[]
}

interface Figures {
  /** `grab…`: the X transfer and the conversion to RGB alone. */
  captureEncodeMs: {
    p50: number | null
    p95: number | null
    frames: number
    grabP50: number | null
    grabP95: number | null
  }
  ocrMs: { p50: number | null; p95: number | null; frames: number }
  collectorCpu: { percentOfOneCore: number; minutes: number; frames: number } | null
  searchMs: {
    frames: number
    typical: SearchFigures
    worstCase: SearchFigures
    lastWeek: { p50: number | null; p95: number | null }
    /** The first week of the frames (the far past), with a typical and a common query. */
    firstWeek: { p50: number | null; p95: number | null }
  }
}

const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10)

/** Runs the screenshot figures; resolves to them (printed by the caller). */
export async function benchScreenshots(o: {
  runs: number
  minutes: number
  frames: number
  log: (line: string) => void
}): Promise<Figures> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'daybook-bench-shots-'))
  const children: ChildProcess[] = []
  const start = (cmd: string, args: string[], env?: NodeJS.ProcessEnv) => {
    const child = spawn(cmd, args, { env, stdio: 'ignore' })
    children.push(child)
    return child
  }
  try {
    // An X server of 1920×1080 with a window manager and text on screen.
    const display = `:${200 + (process.pid % 500)}`
    start('Xvfb', [display, '-screen', '0', '1920x1080x24', '-nolisten', 'tcp'])
    const env = { ...process.env, DISPLAY: display }
    for (;;) {
      const up = await x11Screen(env).then(
        (s) => (s.close(), true),
        () => false,
      )
      if (up) break
      await sleep(100)
    }
    start('openbox', [], env)
    // The window scope needs a focused window: each sentence's window is activated.
    const show = (n: number) => {
      const child = start('xmessage', ['-fn', '12x24', '-center', sentence(n)], env)
      // xmessage sets no _NET_WM_PID: its window is found by class (the newest is last).
      const found = spawnSync('xdotool', ['search', '--sync', '--class', 'Xmessage'], { env })
      const id = found.stdout.toString().trim().split('\n').at(-1)
      if (id) spawnSync('xdotool', ['windowactivate', '--sync', id], { env, stdio: 'ignore' })
      // Input, as a person at the screen makes: without it the collector is away after the AFK
      // timeout and takes nothing.
      spawnSync('xdotool', ['mousemove_relative', '--', n % 2 ? '1' : '-1', '0'], { env })
      return child
    }
    let message = show(0)

    o.log('capture and encode of 1920×1080 frames')
    const screen = await x11Screen(env)
    const times: number[] = []
    const grabs: number[] = []
    let grab = await screen.grab('screen')
    for (let i = 0; i < o.runs; i++) {
      const t0 = performance.now()
      grab = await screen.grab('screen')
      if (!grab) throw new Error('nothing captured')
      grabs.push(performance.now() - t0)
      await encodeWebp(grab, 60, frameFacts(grab).flat)
      times.push(performance.now() - t0)
    }
    o.log(`capture+encode p50 ${quantile(times, 0.5)?.toFixed(0)} ms`)
    screen.close()
    if (!grab) throw new Error('nothing captured')

    o.log('OCR of such frames')
    const pool = await startOcrPool(['eng'], o.log)
    const ocr: number[] = []
    for (let i = 0; i < Math.min(5, o.runs); i++) {
      const r = await pool.read(await ocrImage(grab), 60_000)
      if (r) ocr.push(r.ms)
    }
    await pool.close()
    o.log(`OCR p50 ${quantile(ocr, 0.5)?.toFixed(0)} ms`)

    let collectorCpu: Figures['collectorCpu'] = null
    if (o.minutes > 0) {
      o.log(`the collector at the default interval for ${o.minutes} min`)
      const dataDir = path.join(dir, 'data')
      const configDir = path.join(dir, 'config')
      const daemon = spawn(
        process.execPath,
        [MAIN, 'serve', '--port', '0', '--data-dir', dataDir, '--config-dir', configDir],
        { stdio: 'ignore' },
      )
      children.push(daemon)
      let port: number | undefined
      while (port === undefined) {
        await sleep(100)
        const d = readDiscovery(dataDir)
        if (d && d.pid === daemon.pid) port = d.port ?? undefined
      }
      const token = readFileSync(path.join(configDir, 'auth.token'), 'utf8').trim()
      const base = `http://127.0.0.1:${port}`
      const call = (method: string, url: string, body?: unknown) =>
        fetch(`${base}${url}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: body === undefined ? null : JSON.stringify(body),
        }).then((r) => r.json() as Promise<Record<string, unknown>>)
      await call('POST', '/v1/settings/screenshot/config', { enabled: true })
      const watcher = spawn(
        process.execPath,
        [MAIN, 'watch', 'screenshots', '--data-dir', dataDir, '--config-dir', configDir],
        { env, stdio: 'ignore' },
      )
      children.push(watcher)
      // From the first frame on: loading the OCR data once is not the steady state.
      while (((await call('GET', '/v1/settings/screenshot/metrics')).frames as number) < 1) {
        await sleep(500)
      }
      const before = cpuMs(watcher.pid as number)
      const t0 = performance.now()
      const end = t0 + o.minutes * 60_000
      let n = 1
      while (performance.now() < end) {
        // A new sentence before each frame: nothing is skipped as identical.
        await sleep(Math.min(29_000, end - performance.now()))
        message.kill()
        message = show(n++)
      }
      const used = cpuMs(watcher.pid as number) - before
      const frames = (await call('GET', '/v1/settings/screenshot/metrics')).frames as number
      collectorCpu = {
        percentOfOneCore: Math.round((used / (performance.now() - t0)) * 1000) / 10,
        minutes: o.minutes,
        frames,
      }
    }

    o.log(`search over ${o.frames} frames' text`)
    const searchMs = await benchSearch(path.join(dir, 'search.db'), o.frames, o.runs)
    return {
      captureEncodeMs: {
        p50: round(quantile(times, 0.5)),
        p95: round(quantile(times, 0.95)),
        frames: times.length,
        grabP50: round(quantile(grabs, 0.5)),
        grabP95: round(quantile(grabs, 0.95)),
      },
      ocrMs: {
        p50: round(quantile(ocr, 0.5)),
        p95: round(quantile(ocr, 0.95)),
        frames: ocr.length,
      },
      collectorCpu,
      searchMs,
    }
  } finally {
    for (const c of children.reverse()) c.kill('SIGTERM')
    await sleep(500)
    rmSync(dir, { recursive: true, force: true })
  }
}

function sentence(n: number): string {
  return Array.from({ length: 8 }, (_, i) => WORDS[(n * 7 + i * 13) % WORDS.length]).join(' ')
}

/** User plus system CPU of a process so far, in ms (Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  const ticks = Number(fields[11]) + Number(fields[12])
  return (ticks / 100) * 1000
}

/**
 * A vocabulary for synthetic screen text: common English and UI words first, then made-up words
 * of 4–9 letters (consonant, vowel, …: a prefix of four letters starts a few of them, as in
 * English), drawn with a Zipf-like law (the word of rank r with weight 1/r^1.07), as word
 * frequencies in real text fall. The top words are in every frame; most words in a few.
 */
function zipfText(): { vocabulary: string[]; draw: () => string; random: () => number } {
  let seed = 1
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647
  const common = (
    'the of and to in is for on that with file edit view help search new open save close ' +
    'settings window tools cancel ok home page next back ' +
    WORDS.join(' ')
  ).split(' ')
  const consonants = 'bcdfghjklmnprstvwxz'
  const vowels = 'aeiou'
  const vocabulary = [...new Set(common)]
  const known = new Set(vocabulary)
  while (vocabulary.length < 30_000) {
    const length = 4 + Math.floor(random() * 6)
    let w = ''
    for (let i = 0; i < length; i++) {
      const letters = i % 2 ? vowels : consonants
      w += letters[Math.floor(random() * letters.length)] as string
    }
    if (!known.has(w)) {
      known.add(w)
      vocabulary.push(w)
    }
  }
  const weights: number[] = []
  let total = 0
  for (let r = 1; r <= vocabulary.length; r++) weights.push((total += 1 / r ** 1.07))
  const draw = () => {
    const x = random() * total
    let lo = 0
    let hi = weights.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((weights[mid] as number) < x) lo = mid + 1
      else hi = mid
    }
    return vocabulary[lo] as string
  }
  return { vocabulary, draw, random }
}

/** Search over `frames` frames' synthetic text in a new store at `file`: p50/p95 by kind of query. */
export async function benchSearch(
  file: string,
  frames: number,
  runs: number,
): Promise<Figures['searchMs']> {
  {
    const store = await openStore({ driver: 'sqlite', file, readers: 0 })
    await store.migrate()
    await store.close()
  }
  // Written straight into the schema (one transaction): the figure is the search, not ingest.
  const db = new DatabaseSync(file)
  const insert = db.prepare(
    `INSERT INTO screenshots (filename, date, at_ms, device_id, app, title, url, bytes, width, height, hash, text, ocr_ms, seq)
     VALUES (?, ?, ?, (SELECT id FROM devices WHERE own = 1), 'app', ?, NULL, 50000, 1920, 1080, '0000000000000000', ?, 900, 0)`,
  )
  const t0 = Date.UTC(2026, 0, 1)
  const { vocabulary, draw, random } = zipfText()
  db.exec('BEGIN')
  for (let i = 0; i < frames; i++) {
    const at = t0 + i * 30_000
    const p = framePath(at, 'bench')
    // From a nearly empty window to a page of text: 40 to 400 words.
    const text = Array.from({ length: 40 + Math.floor(random() * 360) }, draw).join(' ')
    insert.run(p.filename, p.date, at, `${draw()} ${draw()} - window ${i % 50}`, text)
  }
  db.exec('COMMIT')
  db.close()
  const store = await openStore({ driver: 'sqlite', file, readers: 1 })
  const word = (rank: number) => vocabulary[rank] as string
  // Typical: words of middling and low frequency, alone, together, with a common word, and
  // prefixes of 4+ letters as someone types them.
  const typical = [
    word(40),
    word(300),
    word(2000),
    word(9000),
    `${word(150)} ${word(700)}`,
    `${word(0)} ${word(3000)}`,
    `${word(500)} ${word(1500)} ${word(5000)}`,
    word(1200).slice(0, 4),
    `${word(80)} ${word(4000).slice(0, 4)}`,
  ]
  // Worst case: words in (nearly) every frame.
  const worst = [word(0), `${word(0)} ${word(1)}`, 'window', `${word(2)} window`]
  const time = async (queries: string[]) => {
    const times: number[] = []
    for (let r = 0; r < runs; r++) {
      for (const q of queries) {
        const t = performance.now()
        await store.screenshots.searchText(q, {}, 20)
        times.push(performance.now() - t)
      }
    }
    return {
      p50: round(quantile(times, 0.5)),
      p95: round(quantile(times, 0.95)),
      queries: times.length,
      words: queries,
    }
  }
  try {
    const last = t0 + (frames - 1) * 30_000
    const week = async (range: { startMs?: number; endMs?: number }) => {
      // A range of a week, with a typical and a common query.
      const times: number[] = []
      for (let r = 0; r < runs; r++) {
        for (const q of [word(300), word(0)]) {
          const t = performance.now()
          await store.screenshots.searchText(q, range, 20)
          times.push(performance.now() - t)
        }
      }
      return { p50: round(quantile(times, 0.5)), p95: round(quantile(times, 0.95)) }
    }
    return {
      frames,
      typical: await time(typical),
      worstCase: await time(worst),
      lastWeek: await week({ startMs: last - 7 * 86_400_000 }),
      firstWeek: await week({ startMs: t0, endMs: t0 + 7 * 86_400_000 }),
    }
  } finally {
    await store.close()
  }
}
