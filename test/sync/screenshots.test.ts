/**
 * Screenshots across devices, on real daemons (a hub and two spokes paired through the CLI): a
 * frame indexed on one spoke is found by text search on the other, naming the device that took
 * it; its image stays on that device (the other answers 409 naming it); a purge on either side
 * removes the frame everywhere.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import sharp from 'sharp'
import { request } from '../daemon.ts'
import { type Node, api, freePort, ok, pair, startHub, startNode, until } from './helpers.ts'

interface Hit {
  filename: string
  date: string
  timestamp: number
  device: string
  imageUrl: string
  imageHere: boolean
  snippet: string
}

async function webp(): Promise<string> {
  const image = await sharp({
    create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 30, b: 30 } },
  })
    .webp()
    .toBuffer()
  return image.toString('base64')
}

async function ownName(node: Node): Promise<string> {
  const devices = await ok<{ name: string; own: boolean }[]>(node, 'GET', '/v1/devices')
  const own = devices.find((d) => d.own)
  assert.ok(own)
  return own.name
}

/** A frame's image from a node: its status and content type (the body is the file). */
async function fetchImage(node: Node, url: string): Promise<{ status: number; type: unknown }> {
  const d = node.process.discovery
  const res = await request(d.socket ? { socketPath: d.socket } : { port: d.port ?? 0 }, {
    path: url,
    headers: { authorization: `Bearer ${node.process.token}` },
  })
  return { status: res.status, type: res.headers['content-type'] }
}

const search = (node: Node, query: string) =>
  ok<Hit[]>(node, 'POST', '/v1/settings/screenshot/search-text', { query })

test(
  'screenshots across devices: found on the other spoke with their device; purged everywhere',
  { timeout: 600_000 },
  async (t) => {
    const [hub, laptop, desktop] = await Promise.all([
      (async () => startHub(t, await freePort()))(),
      startNode(t, 'laptop'),
      startNode(t, 'desktop'),
    ])
    await pair(t, hub, laptop, 'laptop')
    await pair(t, hub, desktop, 'desktop')
    // Names as the hub gave them, once each spoke has heard.
    await until(async () => (await ownName(laptop)) === 'laptop')
    await ok(laptop, 'POST', '/v1/settings/screenshot/config', { enabled: true })

    const image = await webp()
    const now = Math.floor(Date.now() / 1000)
    const frame = (timestamp: number, text: string) => ({
      timestamp,
      device: 'laptop',
      app: 'firefox',
      title: 'Quarterly numbers',
      url: 'https://example.com/report',
      width: 8,
      height: 8,
      hash: '00ff00ff00ff00ff',
      text,
      ocrMs: 12,
      image,
    })
    for (const [i, text] of ['the revenue chart for the board', 'holiday travel plans'].entries()) {
      const stored = await ok<{ stored: boolean }>(
        laptop,
        'POST',
        '/v1/screenshots',
        frame(now - 600 + i * 60, text),
      )
      assert.equal(stored.stored, true)
    }

    await t.test(
      'a frame indexed on the laptop is found on the desktop, naming the laptop',
      async () => {
        await until(async () => (await search(desktop, 'revenue chart')).length === 1)
        const [hit] = await search(desktop, 'revenue chart')
        assert.ok(hit)
        assert.equal(hit.device, 'laptop')
        assert.equal(hit.imageHere, false)
        assert.match(hit.snippet, /«revenue» «chart»/)
        // The hub holds the index rows too.
        assert.equal((await search(hub, 'revenue')).length, 1)
        // The image stays on the laptop: the desktop says where it is.
        const elsewhere = await api<{ code: string; message: string }>(desktop, 'GET', hit.imageUrl)
        assert.equal(elsewhere.status, 409)
        assert.equal(elsewhere.body.code, 'screenshot_elsewhere')
        assert.match(elsewhere.body.message, /"laptop"/)
        const [own] = await search(laptop, 'revenue chart')
        assert.equal(own?.imageHere, true)
        assert.deepEqual(await fetchImage(laptop, hit.imageUrl), {
          status: 200,
          type: 'image/webp',
        })
        // The desktop neither counts nor prunes the laptop's frames.
        const metrics = await ok<{ frames: number }>(
          desktop,
          'GET',
          '/v1/settings/screenshot/metrics',
        )
        assert.equal(metrics.frames, 0)
      },
    )

    await t.test('a purge on the laptop removes its frame on the desktop', async () => {
      const purged = await ok<{ deleted: number }>(
        laptop,
        'POST',
        '/v1/settings/screenshot/purge',
        {
          startUtc: now - 601,
          endUtc: now - 599,
        },
      )
      assert.equal(purged.deleted, 1)
      await until(async () => (await search(desktop, 'revenue')).length === 0)
      assert.equal((await search(hub, 'revenue')).length, 0)
      // The other frame stays.
      assert.equal((await search(desktop, 'holiday')).length, 1)
    })

    await t.test(
      "a purge on the desktop removes the laptop's frame there too, and its image",
      async () => {
        const [holiday] = await search(laptop, 'holiday')
        assert.ok(holiday)
        const purged = await ok<{ deleted: number }>(
          desktop,
          'POST',
          '/v1/settings/screenshot/purge',
          {
            all: true,
          },
        )
        assert.equal(purged.deleted, 1)
        await until(async () => (await search(laptop, 'holiday')).length === 0)
        assert.equal((await search(hub, 'holiday')).length, 0)
        // The laptop deletes the image with its next prune (hourly, and after each frame it stores).
        const next = await ok<{ stored: boolean }>(
          laptop,
          'POST',
          '/v1/screenshots',
          frame(now, 'later'),
        )
        assert.equal(next.stored, true)
        assert.equal((await fetchImage(laptop, holiday.imageUrl)).status, 404)
      },
    )
  },
)
