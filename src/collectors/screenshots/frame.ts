/**
 * A captured image made into a frame with `sharp` (libvips, off the event loop in its own
 * threads): its perceptual hash (a 9×8 grey thumbnail's difference hash), the WebP file, and a
 * grey PNG for OCR (lossless: WebP's artefacts cost OCR accuracy; fast compression: it is read
 * once and thrown away).
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

/** The frame's perceptual hash. */
export async function frameHash(g: Grab): Promise<string> {
  const grey = await (
    await raw(g)
  )
    .greyscale()
    .resize(9, 8, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer()
  return differenceHash(grey)
}

/** The frame as a WebP file. */
export async function encodeWebp(g: Grab, quality: number): Promise<Buffer> {
  return (await raw(g)).webp({ quality, effort: 2 }).toBuffer()
}

/** The frame as OCR reads it. */
export async function ocrImage(g: Grab): Promise<Buffer> {
  // A screen's density, said in the file: Tesseract guesses (and warns) without one.
  return (await raw(g))
    .greyscale()
    .withMetadata({ density: 96 })
    .png({ compressionLevel: 1 })
    .toBuffer()
}
