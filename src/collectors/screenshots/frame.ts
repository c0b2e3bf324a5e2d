/**
 * A captured image made into a frame: its perceptual hash (a 9×8 grey thumbnail's difference
 * hash) and flatness, computed here; the WebP file and a grey image for OCR with `sharp`
 * (libvips, off the event loop in its own threads).
 */
import type SharpFactory from 'sharp'
import type { Sharp } from 'sharp'
import { differenceHash } from '../../domain/screenshots.ts'
import type { Grab } from '../platform/x11-screen.ts'

// Loaded on the first frame: a watcher whose capture stays off never loads libvips.
let loaded: Promise<{ default: typeof SharpFactory }> | undefined

async function raw(g: Grab): Promise<Sharp> {
  loaded ??= import('sharp')
  const { default: sharp } = await loaded
  return sharp(g.rgb, { raw: { width: g.width, height: g.height, channels: 3 } })
}

/** What a frame's pixels say before it is encoded. */
export interface FrameFacts {
  /** The perceptual hash (`differenceHash` of 9×8 block means of the grey image). */
  hash: string
  /** The share of pixels equal to their left neighbour: near 1 for text and UI, low for photos. */
  flat: number
}

/**
 * The frame's hash and flatness in one pass over every other row (a few ms for 1920×1080; libvips'
 * grey-and-resize took 10–60 ms, and this pass comes before every skipped frame too).
 */
export function frameFacts(g: Grab): FrameFacts {
  const { rgb, width, height } = g
  const column = new Uint8Array(width)
  for (let x = 0; x < width; x++) column[x] = Math.floor((x * 9) / width)
  const sums = new Float64Array(72)
  const counts = new Float64Array(72)
  let same = 0
  let seen = 0
  for (let y = 0; y < height; y += 2) {
    const row = Math.floor((y * 8) / height) * 9
    let p = y * width * 3
    let r0 = -1
    let g0 = -1
    let b0 = -1
    for (let x = 0; x < width; x++, p += 3) {
      const r = rgb[p] as number
      const gr = rgb[p + 1] as number
      const b = rgb[p + 2] as number
      const cell = row + (column[x] as number)
      sums[cell] = (sums[cell] as number) + r * 0.299 + gr * 0.587 + b * 0.114
      counts[cell] = (counts[cell] as number) + 1
      if (r === r0 && gr === g0 && b === b0) same++
      r0 = r
      g0 = gr
      b0 = b
    }
    seen += width
  }
  const grey = new Uint8Array(72)
  for (let i = 0; i < 72; i++) {
    grey[i] = Math.round((sums[i] as number) / Math.max(1, counts[i] as number))
  }
  return { hash: differenceHash(grey), flat: seen === 0 ? 0 : same / seen }
}

/** Frames at least this flat are encoded losslessly. */
const LOSSLESS_FLAT = 0.8

/**
 * The frame as a WebP file. Why two ways: a screen of text and UI is mostly runs of one colour,
 * which lossless WebP at its fastest effort stores in a tenth of the lossy size, in less time
 * (1920×1080 of text: ~20 KB in ~45 ms against ~290 KB in ~70 ms); a photo or video the other
 * way round (~4.5 MB in over a second), so a frame with little flat area is lossy at `quality`.
 */
export async function encodeWebp(g: Grab, quality: number, flat: number): Promise<Buffer> {
  const image = await raw(g)
  return (
    flat >= LOSSLESS_FLAT
      ? image.webp({ lossless: true, effort: 0 })
      : image.webp({ quality, effort: 0 })
  ).toBuffer()
}

/**
 * The frame as OCR reads it: grey, as a binary PGM (Tesseract reads it as it is, where a PNG was
 * compressed here and decompressed again in WebAssembly for each frame).
 */
export async function ocrImage(g: Grab): Promise<Buffer> {
  const grey = await (await raw(g)).greyscale().raw().toBuffer()
  return Buffer.concat([Buffer.from(`P5\n${g.width} ${g.height}\n255\n`, 'latin1'), grey])
}
