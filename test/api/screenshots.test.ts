/**
 * The screenshot routes over HTTP on a real SQLite file and a real screenshots dir: settings,
 * pause and resume, frames from the collector (refused while off or paused), the image routes
 * (token in the header or `?token=`, strict names, traversal a 404), text search, frames around a
 * moment, metrics, the dir, retention and the size cap, purge.
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import sharp from 'sharp'
import { DEFAULT_SCREENSHOT_CONFIG } from '../../src/domain/screenshots.ts'
import { startApp, tempDir } from '../helpers.ts'

const T0 = Date.parse('2026-04-13T08:15:53Z')

async function webp(shade = 40): Promise<Buffer> {
  return sharp({
    create: { width: 32, height: 24, channels: 3, background: { r: shade, g: 90, b: 200 } },
  })
    .webp({ quality: 50 })
    .toBuffer()
}

async function started(t: Parameters<typeof startApp>[0], now = T0) {
  const dir = path.join(tempDir(t), 'screenshots')
  const started = await startApp(t, { now, screenshotsDir: dir })
  return { ...started, shots: dir }
}

function upload(atMs: number, image: Buffer, overrides: Record<string, unknown> = {}) {
  return {
    timestamp: atMs / 1000,
    device: 'lap top',
    app: 'firefox',
    title: 'Quarterly numbers — Mozilla Firefox',
    url: 'https://example.com/q3',
    width: 32,
    height: 24,
    hash: '0123456789abcdef',
    text: 'The quarterly revenue chart shows growth',
    ocrMs: 850,
    image: image.toString('base64'),
    ...overrides,
  }
}

test('settings: off by default; a patch changes only its keys; bad values change nothing', async (t) => {
  const { call } = await started(t)
  const url = '/v1/settings/screenshot/config'
  assert.deepEqual((await call({ method: 'GET', url })).json(), DEFAULT_SCREENSHOT_CONFIG)
  const changed = await call({
    method: 'POST',
    url,
    payload: { enabled: true, intervalSecs: 10, ocr: { languages: ['eng', 'deu'] } },
  })
  assert.equal(changed.statusCode, 200, changed.body)
  const expected = {
    ...DEFAULT_SCREENSHOT_CONFIG,
    enabled: true,
    intervalSecs: 10,
    ocr: { ...DEFAULT_SCREENSHOT_CONFIG.ocr, languages: ['eng', 'deu'] },
  }
  assert.deepEqual(changed.json(), expected)
  for (const [payload, field] of [
    [{ intervalSecs: 1 }, 'body/intervalSecs'],
    [{ scope: 'everything' }, 'body/scope'],
    [{ quality: 101 }, 'body/quality'],
    [{ ocr: { languages: ['../x'] } }, 'body/ocr/languages/0'],
    [{ ocr: { languages: [] } }, 'body/ocr/languages'],
    [{ ocr: { timeoutSecs: 0 } }, 'body/ocr/timeoutSecs'],
    [{ retention: 3 }, 'body/retention'],
    [{ maxBytes: 10 }, 'body/maxBytes'],
  ] as const) {
    const r = await call({ method: 'POST', url, payload })
    assert.equal(r.statusCode, 422, JSON.stringify(payload))
    assert.equal(r.json().field, field, r.body)
  }
  assert.deepEqual((await call({ method: 'GET', url })).json(), expected)
})

test('frames are refused while capture is off or paused, stored once it is on, files 0600 in 0700 folders', async (t) => {
  const { call, shots, setNow } = await started(t)
  const image = await webp()
  const send = (atMs: number, overrides?: Record<string, unknown>) =>
    call({ method: 'POST', url: '/v1/screenshots', payload: upload(atMs, image, overrides) })
  const off = await send(T0)
  assert.equal(off.statusCode, 409, off.body)
  assert.equal(off.json().code, 'capture_off')
  assert.equal(existsSync(shots), false, 'nothing written while off')

  await call({ method: 'POST', url: '/v1/settings/screenshot/config', payload: { enabled: true } })
  const paused = await call({
    method: 'POST',
    url: '/v1/settings/screenshot/pause',
    payload: { forSecs: 3600 },
  })
  assert.equal(paused.json().capturing, false)
  assert.equal(paused.json().pausedUntil, T0 / 1000 + 3600)
  assert.equal((await send(T0)).statusCode, 409)
  // The pause ends by itself.
  setNow(T0 + 3600_000)
  const report = await call({
    method: 'POST',
    url: '/v1/screenshots/report',
    payload: {
      captured: 0,
      skippedIdentical: 2,
      skippedPrivate: 1,
      skippedAway: 3,
      ocrPending: 0,
      ocrTimedOut: 1,
      ocrMsP50: null,
      ocrMsP95: null,
    },
  })
  assert.equal(report.statusCode, 200, report.body)
  assert.equal(report.json().capturing, true)
  await call({ method: 'POST', url: '/v1/settings/screenshot/pause', payload: {} })
  assert.equal((await send(T0)).statusCode, 409, 'paused until resumed')
  const resumed = await call({ method: 'POST', url: '/v1/settings/screenshot/resume' })
  assert.equal(resumed.json().capturing, true)

  const ok = await send(T0)
  assert.equal(ok.statusCode, 200, ok.body)
  assert.deepEqual(ok.json(), {
    stored: true,
    frame: {
      filename: '20260413081553-lap-top.webp',
      date: '2026-04-13',
      timestamp: T0 / 1000,
      device: 'lap top',
      app: 'firefox',
      title: 'Quarterly numbers — Mozilla Firefox',
      url: 'https://example.com/q3',
      bytes: image.length,
      width: 32,
      height: 24,
      hash: '0123456789abcdef',
      hasText: true,
      imageUrl: '/screenshots/2026-04-13/20260413081553-lap-top.webp',
      imageHere: true,
    },
  })
  const file = path.join(shots, '2026-04-13', '20260413081553-lap-top.webp')
  assert.equal(statSync(file).mode & 0o777, 0o600)
  assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700)
  assert.equal(statSync(shots).mode & 0o777, 0o700)
  const again = await send(T0 + 400, { text: 'other' })
  assert.equal(again.json().stored, false, 'the same second of the same device')
  const notWebp = await send(T0 + 5000, {
    image: Buffer.from('GIF89a-not-a-webp').toString('base64'),
  })
  assert.equal(notWebp.statusCode, 422)
  assert.deepEqual(readdirSync(path.dirname(file)), ['20260413081553-lap-top.webp'])

  const metrics = (await call({ method: 'GET', url: '/v1/settings/screenshot/metrics' })).json()
  assert.deepEqual(metrics, {
    frames: 1,
    bytes: image.length,
    oldest: T0 / 1000,
    capturing: true,
    reason: 'capturing',
    collector: {
      captured: 0,
      skippedIdentical: 2,
      skippedPrivate: 1,
      skippedAway: 3,
      ocrPending: 0,
      ocrTimedOut: 1,
      ocrMsP50: null,
      ocrMsP95: null,
      reportedAt: T0 / 1000 + 3600,
    },
  })
  const dir = (await call({ method: 'GET', url: '/v1/settings/screenshot/dir' })).json()
  assert.deepEqual(dir, { dir: shots, port: null })
})

test('images: served with the token in the header or ?token=, refused without; any other name is a 404', async (t) => {
  const { app, call, token, shots } = await started(t)
  await call({ method: 'POST', url: '/v1/settings/screenshot/config', payload: { enabled: true } })
  const image = await webp()
  await call({ method: 'POST', url: '/v1/screenshots', payload: upload(T0, image) })
  const name = '20260413081553-lap-top.webp'
  for (const url of [
    `/screenshots/${name}`,
    `/screenshots/2026-04-13/${name}`,
    `/v1/screenshots/${name}`,
  ]) {
    const r = await call({ method: 'GET', url })
    assert.equal(r.statusCode, 200, url)
    assert.equal(r.headers['content-type'], 'image/webp')
    assert.deepEqual(r.rawPayload, image)
  }
  const withQuery = await app.inject({ method: 'GET', url: `/screenshots/${name}?token=${token}` })
  assert.equal(withQuery.statusCode, 200)
  assert.deepEqual(withQuery.rawPayload, image)
  const without = await app.inject({ method: 'GET', url: `/screenshots/${name}` })
  assert.equal(without.statusCode, 401)
  const wrong = await app.inject({ method: 'GET', url: `/screenshots/${name}?token=nope` })
  assert.equal(wrong.statusCode, 401)

  // A file beside the screenshots dir that a traversal would reach.
  writeFileSync(path.join(path.dirname(shots), 'secret.webp'), 'secret')
  for (const url of [
    '/screenshots/..%2Fsecret.webp',
    '/screenshots/2026-04-13/..%2F..%2Fsecret.webp',
    '/screenshots/..%2F..%2Fdaybook.db',
    '/screenshots/%2e%2e/secret.webp',
    '/screenshots/2026-04-14/' + name,
    '/screenshots/2026-4-13/' + name,
    '/screenshots/20260413081554-lap-top.webp',
    '/screenshots/20261313081553-lap-top.webp',
    '/screenshots/20260413081553-lap top.webp',
    '/screenshots/20260413081553.webp',
    '/screenshots/20260413081553-lap-top.png',
    '/screenshots/secret.webp',
  ]) {
    const r = await call({ method: 'GET', url })
    assert.equal(r.statusCode, 404, url)
    assert.notEqual(r.body, 'secret', url)
  }
})

test('text search finds frames by their text and title with a marked snippet; around finds the nearest', async (t) => {
  const { call } = await started(t)
  await call({ method: 'POST', url: '/v1/settings/screenshot/config', payload: { enabled: true } })
  const image = await webp()
  const frames = [
    upload(T0, image, { text: 'Quarterly revenue chart for the board' }),
    upload(T0 + 30_000, image, {
      text: 'an editor with code',
      app: 'code',
      title: 'main.ts',
      url: null,
    }),
    upload(T0 + 60_000, image, { text: null, ocrMs: null, title: 'Revenue notes' }),
  ]
  for (const f of frames) {
    assert.equal(
      (await call({ method: 'POST', url: '/v1/screenshots', payload: f })).statusCode,
      200,
    )
  }
  const search = (payload: Record<string, unknown>) =>
    call({ method: 'POST', url: '/v1/settings/screenshot/search-text', payload })
  const hits = (await search({ query: 'revenue chart' })).json()
  assert.equal(hits.length, 1)
  assert.equal(hits[0].filename, '20260413081553-lap-top.webp')
  assert.equal(hits[0].url, 'https://example.com/q3')
  assert.equal(hits[0].imageUrl, '/screenshots/2026-04-13/20260413081553-lap-top.webp')
  assert.match(hits[0].snippet, /«revenue» «chart»/i)
  const both = (await search({ query: 'revenue' })).json()
  assert.equal(both.length, 2)
  const later = (await search({ query: 'revenue', start: T0 / 1000 + 1 })).json()
  assert.deepEqual(
    later.map((h: { title: string }) => h.title),
    ['Revenue notes'],
  )
  assert.equal((await search({ query: 'revenue', limit: 1 })).json().length, 1)
  const backwards = await search({ query: 'revenue', start: T0 / 1000 + 10, end: T0 / 1000 })
  assert.equal(backwards.statusCode, 422)
  assert.equal((await search({ query: '' })).statusCode, 422)
  assert.equal((await search({ query: 'x', limit: 0 })).statusCode, 422)

  const around = await call({
    method: 'POST',
    url: '/v1/settings/screenshot/around',
    payload: { timestamp: T0 / 1000 + 40, windowSecs: 30 },
  })
  assert.deepEqual(
    around.json().map((f: { timestamp: number }) => f.timestamp - T0 / 1000),
    [30, 60],
  )
})

test('retention and the size cap prune oldest first; purge deletes a range or everything', async (t) => {
  const { call, shots, setNow } = await started(t)
  await call({ method: 'POST', url: '/v1/settings/screenshot/config', payload: { enabled: true } })
  const image = await webp()
  const DAY = 86_400_000
  const files = () =>
    existsSync(shots)
      ? readdirSync(shots, { recursive: true }).filter((f) => String(f).endsWith('.webp')).length
      : 0
  for (const day of [0, 1, 2, 3]) {
    setNow(T0 + day * DAY)
    const r = await call({
      method: 'POST',
      url: '/v1/screenshots',
      payload: upload(T0 + day * DAY, image),
    })
    assert.equal(r.statusCode, 200, r.body)
  }
  assert.equal(files(), 4)
  // Retention: frames older than two days go, at once.
  await call({
    method: 'POST',
    url: '/v1/settings/screenshot/config',
    payload: { retentionDays: 2 },
  })
  let metrics = (await call({ method: 'GET', url: '/v1/settings/screenshot/metrics' })).json()
  assert.equal(metrics.frames, 3)
  assert.equal(metrics.oldest, (T0 + DAY) / 1000)
  assert.equal(files(), 3)
  // The size cap (1 MiB): a 600 KiB frame fits beside the small ones; a second one pushes out
  // the oldest frames until the rest fit, which leaves only itself.
  await call({
    method: 'POST',
    url: '/v1/settings/screenshot/config',
    payload: { maxBytes: 1024 * 1024 },
  })
  const big = Buffer.concat([image, Buffer.alloc(600 * 1024)])
  const at = (ms: number) => {
    setNow(ms)
    return call({ method: 'POST', url: '/v1/screenshots', payload: upload(ms, big) })
  }
  assert.equal((await at(T0 + 3 * DAY + 1000)).statusCode, 200)
  metrics = (await call({ method: 'GET', url: '/v1/settings/screenshot/metrics' })).json()
  // Day 1's frame is now past two days' retention.
  assert.equal(metrics.frames, 3)
  assert.equal(metrics.oldest, (T0 + 2 * DAY) / 1000)
  assert.equal((await at(T0 + 3 * DAY + 2000)).statusCode, 200)
  metrics = (await call({ method: 'GET', url: '/v1/settings/screenshot/metrics' })).json()
  assert.ok(metrics.bytes <= 1024 * 1024, `${metrics.bytes}`)
  assert.equal(metrics.frames, 1, 'the newest frame alone fits under the cap')
  assert.equal(metrics.oldest, (T0 + 3 * DAY + 2000) / 1000)
  assert.equal(files(), 1)

  const purge = (payload: Record<string, unknown>) =>
    call({ method: 'POST', url: '/v1/settings/screenshot/purge', payload })
  assert.equal((await purge({})).statusCode, 422)
  assert.equal((await purge({ all: true, startUtc: 1 })).statusCode, 422)
  await call({
    method: 'POST',
    url: '/v1/screenshots',
    payload: upload(T0 + 3 * DAY + 3000, image),
  })
  const some = await purge({ startUtc: (T0 + 3 * DAY + 2500) / 1000 })
  assert.deepEqual(some.json(), { deleted: 1 })
  assert.equal(files(), 1)
  writeFileSync(path.join(shots, 'stray.webp.tmp'), 'left by a crash')
  assert.deepEqual((await purge({ all: true })).json(), { deleted: 1 })
  assert.deepEqual(readdirSync(shots), [])
})
