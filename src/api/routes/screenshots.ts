/**
 * Screenshots, on the skill-daemon API's paths: `GET/POST /v1/settings/screenshot/config`
 * (admin), `…/metrics`, `…/dir`, `POST …/around` and `…/search-text` (the data scope), the images
 * at `GET /screenshots/{filename}` and `GET /screenshots/{date}/{filename}` (the data scope, the
 * token also as `?token=` for `<img>`); Daybook's own `POST …/pause`, `…/resume`, `…/purge`
 * (admin), and the collector's `GET /v1/screenshots/capture` and `POST /v1/screenshots` (ingest).
 */
import { createReadStream } from 'node:fs'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '#typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { UnprocessableError } from '../../domain/errors.ts'
import { checkRangeOrder } from '../../domain/time.ts'
import { BODY_UTC } from '../schemas/common.ts'
import { errorResponses } from '../schemas/responses.ts'
import {
  AroundBody,
  CaptureStateWire,
  CollectorCountsWire,
  DirWire,
  FrameUploadBody,
  FrameWire,
  HitWire,
  MetricsWire,
  PauseBody,
  PurgeBody,
  ScreenshotConfigBody,
  ScreenshotConfigWire,
  SearchTextBody,
  captureStateToWire,
  frameToWire,
  hitToWire,
} from '../schemas/screenshots.ts'

const secondsToMs = (s: number | undefined) => (s === undefined ? undefined : Math.round(s * 1000))

/** The routes under `/v1`. */
export const screenshotRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['screenshots']

  app.get(
    '/settings/screenshot/config',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Screenshot capture settings',
        tags,
        response: { 200: ScreenshotConfigWire, ...errorResponses(401, 403) },
      },
    },
    async (request) => request.daybook.screenshots.config(),
  )

  app.post(
    '/settings/screenshot/config',
    {
      config: { access: 'admin' },
      schema: {
        summary: "Change screenshot capture settings (the keys given; `ocr`'s keys on their own)",
        description:
          'Lower retention or a smaller size cap deletes the frames past them at once, oldest first.',
        tags,
        body: ScreenshotConfigBody,
        response: { 200: ScreenshotConfigWire, ...errorResponses(400, 401, 403, 415, 422) },
      },
    },
    async (request) => request.daybook.screenshots.updateConfig(request.body),
  )

  app.post(
    '/settings/screenshot/pause',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Pause capture, for a while or until resumed',
        tags,
        body: PauseBody,
        response: { 200: CaptureStateWire, ...errorResponses(400, 401, 403, 415, 422) },
      },
    },
    async (request) => {
      const { forSecs } = request.body
      const until = forSecs === undefined ? null : request.daybook.clock() + forSecs * 1000
      return captureStateToWire(await request.daybook.screenshots.pause(until))
    },
  )

  app.post(
    '/settings/screenshot/resume',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'End a pause of capture',
        tags,
        response: { 200: CaptureStateWire, ...errorResponses(401, 403) },
      },
    },
    async (request) => captureStateToWire(await request.daybook.screenshots.resume()),
  )

  app.post(
    '/settings/screenshot/purge',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Delete frames: those taken in a range, or all of them',
        description: 'Give `startUtc` and/or `endUtc`, or `all: true`.',
        tags,
        body: PurgeBody,
        response: {
          200: Type.Object({ deleted: Type.Integer() }),
          ...errorResponses(400, 401, 403, 415, 422),
        },
      },
    },
    async (request) => {
      const { startUtc, endUtc, all } = request.body
      checkRangeOrder(startUtc, endUtc, BODY_UTC)
      if ((all === true) === (startUtc !== undefined || endUtc !== undefined)) {
        throw new UnprocessableError(
          'purge_what',
          'give startUtc and/or endUtc, or all: true (not both)',
          '/all',
        )
      }
      const deleted = await request.daybook.screenshots.purge(
        all === true ? 'all' : { startMs: secondsToMs(startUtc), endMs: secondsToMs(endUtc) },
      )
      return { deleted }
    },
  )

  app.get(
    '/settings/screenshot/metrics',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Capture statistics: frames kept, skips, OCR times, bytes, the oldest frame',
        tags,
        response: { 200: MetricsWire, ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      const m = await request.daybook.screenshots.metrics()
      const { oldestMs, collector, ...rest } = m
      return {
        ...rest,
        oldest: oldestMs === null ? null : oldestMs / 1000,
        collector: collector && { ...collector, reportedAt: collector.reportedAt / 1000 },
      }
    },
  )

  app.get(
    '/settings/screenshot/dir',
    {
      config: { access: 'read' },
      schema: {
        summary: "The screenshots directory and the daemon's port",
        tags,
        response: { 200: DirWire, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const address = app.server.address()
      const port = address !== null && typeof address === 'object' ? address.port : null
      return { dir: request.daybook.screenshots.dir, port }
    },
  )

  app.post(
    '/settings/screenshot/around',
    {
      config: { access: 'analysis' },
      schema: {
        summary: 'Frames near a moment, nearest first, with their image URLs',
        tags,
        body: AroundBody,
        response: { 200: Type.Array(FrameWire), ...errorResponses(400, 401, 403, 415) },
      },
    },
    async (request) => {
      const b = request.body
      const frames = await request.daybook.screenshots.around(
        Math.round(b.timestamp * 1000),
        (b.windowSecs ?? 60) * 1000,
        b.limit ?? 10,
      )
      return frames.map(frameToWire)
    },
  )

  app.post(
    '/settings/screenshot/search-text',
    {
      config: { access: 'analysis' },
      schema: {
        summary: 'Frames whose text (read by OCR) or window title matches, best first (BM25)',
        tags,
        body: SearchTextBody,
        response: { 200: Type.Array(HitWire), ...errorResponses(400, 401, 403, 415, 422) },
      },
    },
    async (request) => {
      const b = request.body
      checkRangeOrder(b.start, b.end, { start: 'body/start', end: 'body/end' })
      const hits = await request.daybook.screenshots.searchText(
        b.query,
        { startMs: secondsToMs(b.start), endMs: secondsToMs(b.end) },
        b.limit ?? 20,
      )
      return hits.map(hitToWire)
    },
  )

  app.post(
    '/screenshots/report',
    {
      config: { access: 'ingest' },
      schema: {
        summary:
          "The collector's counts (for the metrics); answers the settings and whether to capture now",
        tags,
        body: CollectorCountsWire,
        response: { 200: CaptureStateWire, ...errorResponses(400, 401, 403, 415) },
      },
    },
    async (request) => captureStateToWire(await request.daybook.screenshots.report(request.body)),
  )

  app.post(
    '/screenshots',
    {
      config: { access: 'ingest' },
      bodyLimit: 24 * 1024 * 1024,
      schema: {
        summary: 'A frame from the collector: its image and index row',
        description:
          'Refused (409 `capture_off`) while capture is off or paused. A second frame in the same second of a device is a duplicate (`stored: false`).',
        tags,
        body: FrameUploadBody,
        response: {
          200: Type.Object({ stored: Type.Boolean(), frame: FrameWire }),
          ...errorResponses(400, 401, 403, 409, 413, 415, 422),
        },
      },
    },
    async (request) => {
      const { timestamp, image, ...rest } = request.body
      const result = await request.daybook.screenshots.ingest({
        ...rest,
        atMs: Math.round(timestamp * 1000),
        image: Buffer.from(image, 'base64'),
      })
      return { stored: result.stored, frame: frameToWire(result.frame) }
    },
  )

  imageRoutes(app)
}

/** The image routes, at `/screenshots/…` (the skill-daemon's paths) and under `/v1`. */
export const screenshotImageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  imageRoutes(app)
}

const ELSEWHERE =
  "Another device's frame (synced) answers 409 `screenshot_elsewhere` naming the device: images stay on the device that took them."

function imageRoutes(app: Parameters<FastifyPluginAsyncTypebox>[0]): void {
  const config = { access: 'analysis', queryToken: true } as const
  const Query = Type.Object({ token: Type.Optional(Type.String()) })
  const response = {
    200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'image/webp' }),
    ...errorResponses(401, 403, 404, 409),
  }
  const send = async (
    request: FastifyRequest,
    reply: FastifyReply,
    filename: string,
    date?: string,
  ) => {
    const { file, bytes } = await request.daybook.screenshots.image(filename, date)
    reply.header('content-type', 'image/webp')
    reply.header('content-length', String(bytes))
    reply.header('cache-control', 'private, max-age=86400')
    reply.header('x-content-type-options', 'nosniff')
    return reply.send(createReadStream(file))
  }
  app.get(
    '/screenshots/:filename',
    {
      config,
      schema: {
        summary: "A frame's image (its date read from the name)",
        description: ELSEWHERE,
        tags: ['screenshots'],
        params: Type.Object({ filename: Type.String() }),
        querystring: Query,
        response,
      },
    },
    async (request, reply) => send(request, reply, request.params.filename),
  )
  app.get(
    '/screenshots/:date/:filename',
    {
      config,
      schema: {
        summary: "A frame's image in its date's folder",
        description: ELSEWHERE,
        tags: ['screenshots'],
        params: Type.Object({ date: Type.String(), filename: Type.String() }),
        querystring: Query,
        response,
      },
    },
    async (request, reply) => send(request, reply, request.params.filename, request.params.date),
  )
}
