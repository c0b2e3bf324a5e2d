/**
 * Screen capture on X11, through the same pure-JavaScript `x11` client as the window watcher (no
 * native build, no external program): GetImage of the root window, over the focused window's
 * rectangle (`_NET_ACTIVE_WINDOW`, its geometry translated to the root) or the whole screen.
 * Reading the root rather than the window itself gives what was on screen, frame and overlapping
 * windows included, and works for windows of any visual.
 *
 * The pixels come through MIT-SHM where the server allows it (a local server with SHM 1.2): the
 * server writes them into a shared segment (an unlinked /dev/shm file handed over by descriptor,
 * by the `x11` package itself) instead of the socket; a 1920×1080 frame took ~60 ms over the
 * socket and ~5 ms this way. Elsewhere (a remote display) the core GetImage is used.
 */
import x11 from 'x11'

/** A captured image: RGB, 3 bytes a pixel, row after row. */
export interface Grab {
  rgb: Buffer
  width: number
  height: number
}

export interface ScreenSource {
  /** The focused window's pixels (`window`) or the whole screen's; null when none has focus. */
  grab(scope: 'window' | 'screen'): Promise<Grab | null>
  close(): void
}

const Z_PIXMAP = 2
const ANY_TYPE = 0
const ALL_PLANES = 0xffffffff

type Callback<T> = (err: Error | null | undefined, value: T) => void
interface CaptureClient {
  InternAtom(onlyIfExists: boolean, name: string, cb: Callback<number>): void
  GetProperty(
    ...args: [number, number, number, number, number, number, Callback<{ data: Buffer }>]
  ): void
  GetGeometry(
    wid: number,
    cb: Callback<{ width: number; height: number; borderWidth: number }>,
  ): void
  TranslateCoordinates(
    src: number,
    dst: number,
    x: number,
    y: number,
    cb: Callback<{ destX: number; destY: number }>,
  ): void
  GetImage(
    ...args: [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      Callback<{ depth: number; data: Buffer }>,
    ]
  ): void
  on(event: 'error', listener: (err: Error) => void): void
  require(name: 'shm', cb: Callback<ShmExtension>): void
  terminate(): void
}
/** The `x11` package's MIT-SHM extension (lib/ext/shm.js). */
interface ShmExtension {
  usable(cb: Callback<boolean>): void
  createSegment(size: number, cb: Callback<ShmSegment>): void
}
/** A shared segment; `getImage` reads the server's pixels into `buffer`. */
interface ShmSegment {
  size: number
  buffer: Buffer
  getImage(
    ...args: [number, number, number, number, number, number, number, number, Callback<unknown>]
  ): void
  detach(): void
}
interface CaptureDisplay {
  client: CaptureClient
  screen: { root: number; pixel_width: number; pixel_height: number; root_depth: number }[]
  format?: Record<number, { bits_per_pixel: number }>
  image_byte_order?: number
}

function promise<T>(run: (cb: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => run((err, v) => (err ? reject(err) : resolve(v))))
}

/** Connects to `env.DISPLAY` for capture; rejects with a clear message without one. */
export async function x11Screen(env: NodeJS.ProcessEnv): Promise<ScreenSource> {
  if (!env.DISPLAY) throw new Error('no X display (DISPLAY is not set)')
  const display = await new Promise<CaptureDisplay>((resolve, reject) => {
    const c = x11.createClient({ display: env.DISPLAY }, (err, d) =>
      err ? reject(err) : resolve(d as unknown as CaptureDisplay),
    )
    c.on('error', reject)
  }).catch((err: unknown) => {
    throw new Error(`cannot connect to the X display ${env.DISPLAY}: ${(err as Error).message}`)
  })
  const X = display.client
  X.on('error', () => undefined) // a vanished window's BadWindow: its callback has it too
  const screen = display.screen[0]
  if (!screen) throw new Error(`the X display ${env.DISPLAY} has no screen`)
  const bpp = display.format?.[screen.root_depth]?.bits_per_pixel
  if (bpp !== 32 || screen.root_depth < 24) {
    X.terminate()
    throw new Error(
      `screen capture needs a 24- or 32-bit TrueColor screen (this one is ${screen.root_depth}-bit, ${bpp ?? '?'} bits a pixel)`,
    )
  }
  const msbFirst = display.image_byte_order === 1
  const ACTIVE = await promise<number>((cb) => X.InternAtom(false, '_NET_ACTIVE_WINDOW', cb))
  const root = screen.root
  const segment = await sharedSegment(X, screen.pixel_width * screen.pixel_height * 4)

  /** 32-bit ZPixmap pixels of a rectangle: a view of the shared segment, or the reply's. */
  const pixels = async (r: { x: number; y: number; width: number; height: number }) => {
    const bytes = r.width * r.height * 4
    if (segment && bytes <= segment.size) {
      await promise((cb) =>
        segment.getImage(root, r.x, r.y, r.width, r.height, ALL_PLANES, Z_PIXMAP, 0, cb),
      )
      return segment.buffer.subarray(0, bytes)
    }
    const image = await promise<{ depth: number; data: Buffer }>((cb) =>
      X.GetImage(Z_PIXMAP, root, r.x, r.y, r.width, r.height, ALL_PLANES, cb),
    )
    return image.data
  }

  const rectangle = async (scope: 'window' | 'screen') => {
    const full = { x: 0, y: 0, width: screen.pixel_width, height: screen.pixel_height }
    if (scope === 'screen') return full
    const p = await promise<{ data: Buffer }>((cb) =>
      X.GetProperty(0, root, ACTIVE, ANY_TYPE, 0, 1, cb),
    ).catch(() => undefined)
    const wid = p && p.data.length >= 4 ? p.data.readUInt32LE(0) : 0
    if (wid === 0) return null
    const [geometry, origin] = await Promise.all([
      promise<{ width: number; height: number }>((cb) => X.GetGeometry(wid, cb)),
      promise<{ destX: number; destY: number }>((cb) =>
        X.TranslateCoordinates(wid, root, 0, 0, cb),
      ),
    ]).catch(() => [undefined, undefined] as const) // gone meanwhile
    if (!geometry || !origin) return null
    // Clipped to the screen: a window partly off screen shows only what was visible.
    const x = Math.max(0, origin.destX)
    const y = Math.max(0, origin.destY)
    const width = Math.min(full.width, origin.destX + geometry.width) - x
    const height = Math.min(full.height, origin.destY + geometry.height) - y
    return width > 0 && height > 0 ? { x, y, width, height } : null
  }

  return {
    async grab(scope) {
      const r = await rectangle(scope)
      if (!r) return null
      // Converted at once: the segment is read again by the next grab.
      return {
        rgb: toRgb(await pixels(r), r.width, r.height, msbFirst),
        width: r.width,
        height: r.height,
      }
    },
    close() {
      segment?.detach()
      X.terminate()
    },
  }
}

/**
 * A shared segment of `size` bytes for GetImage, or undefined where MIT-SHM cannot be used (a
 * remote server, no SHM 1.2, no /dev/shm): capture then goes over the socket.
 */
async function sharedSegment(X: CaptureClient, size: number): Promise<ShmSegment | undefined> {
  try {
    const shm = await promise<ShmExtension>((cb) => X.require('shm', cb))
    if (!(await promise<boolean>((cb) => shm.usable(cb)))) return undefined
    return await promise<ShmSegment>((cb) => shm.createSegment(size, cb))
  } catch {
    return undefined
  }
}

/**
 * 32-bit ZPixmap pixels (B, G, R, pad in LSB-first order; pad, R, G, B in MSB-first) to RGB.
 * Scanlines of 32-bit pixels need no padding, so rows follow each other.
 */
function toRgb(data: Buffer, width: number, height: number, msbFirst: boolean): Buffer {
  const n = width * height
  const rgb = Buffer.allocUnsafe(n * 3)
  const [r, g, b] = msbFirst ? [1, 2, 3] : [2, 1, 0]
  for (let i = 0, o = 0, p = 0; i < n; i++, o += 3, p += 4) {
    rgb[o] = data[p + r] as number
    rgb[o + 1] = data[p + g] as number
    rgb[o + 2] = data[p + b] as number
  }
  return rgb
}
