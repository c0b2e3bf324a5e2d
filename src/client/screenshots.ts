/**
 * The typed client's screenshots part: the capture settings, pause and resume, purge, metrics,
 * text search and frames around a moment. Browser-safe like `api.ts`, whose transport it uses;
 * the dashboard and `daybook screenshots` read the daemon through it.
 */
import type { Static } from '#typebox'
import type {
  AroundBody,
  CaptureStateWire,
  FrameWire,
  HitWire,
  MetricsWire,
  PurgeBody,
  ScreenshotConfigBody,
  ScreenshotConfigWire,
  SearchTextBody,
} from '../api/schemas/screenshots.ts'
import type { DaybookApi } from './api.ts'

export type ScreenshotConfig = Static<typeof ScreenshotConfigWire>
export type ScreenshotConfigChange = Static<typeof ScreenshotConfigBody>
export type CaptureState = Static<typeof CaptureStateWire>
export type ScreenshotMetrics = Static<typeof MetricsWire>
export type ScreenshotFrame = Static<typeof FrameWire>
export type ScreenshotHit = Static<typeof HitWire>

export class ScreenshotsApi {
  readonly #api: DaybookApi

  constructor(api: DaybookApi) {
    this.#api = api
  }

  config(signal?: AbortSignal): Promise<ScreenshotConfig> {
    return this.#api.request('GET', '/v1/settings/screenshot/config', { signal })
  }

  setConfig(change: ScreenshotConfigChange): Promise<ScreenshotConfig> {
    return this.#api.request('POST', '/v1/settings/screenshot/config', { body: change })
  }

  /** Pauses capture for `forSecs`, or until resumed. */
  pause(forSecs?: number): Promise<CaptureState> {
    return this.#api.request('POST', '/v1/settings/screenshot/pause', {
      body: forSecs === undefined ? {} : { forSecs },
    })
  }

  resume(): Promise<CaptureState> {
    return this.#api.request('POST', '/v1/settings/screenshot/resume')
  }

  purge(what: Static<typeof PurgeBody>): Promise<{ deleted: number }> {
    return this.#api.request('POST', '/v1/settings/screenshot/purge', { body: what })
  }

  metrics(signal?: AbortSignal): Promise<ScreenshotMetrics> {
    return this.#api.request('GET', '/v1/settings/screenshot/metrics', { signal })
  }

  searchText(q: Static<typeof SearchTextBody>, signal?: AbortSignal): Promise<ScreenshotHit[]> {
    return this.#api.request('POST', '/v1/settings/screenshot/search-text', { body: q, signal })
  }

  around(q: Static<typeof AroundBody>, signal?: AbortSignal): Promise<ScreenshotFrame[]> {
    return this.#api.request('POST', '/v1/settings/screenshot/around', { body: q, signal })
  }
}
