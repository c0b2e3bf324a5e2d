/**
 * "What was on screen": a search box over the text read from screenshots, each hit with its
 * thumbnail, time, window and the matched words; a hit jumps to its moment on the timeline. And
 * the thumbnail the timeline shows while hovering: the frame nearest the moment under the
 * pointer. Images are fetched with the session token as `?token=` (an `<img>` sets no headers).
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import type { DaybookApi } from '../../../src/client/api.ts'
import {
  type ScreenshotFrame,
  type ScreenshotHit,
  ScreenshotsApi,
} from '../../../src/client/screenshots.ts'

/** An image URL a page can load: the route with the session token. */
export function imageSrc(imageUrl: string, token: string): string {
  return `${imageUrl}?token=${encodeURIComponent(token)}`
}

/** The snippet with its matches (between « and ») marked. */
function Snippet(props: { text: string }) {
  const parts = props.text.split(/«|»/)
  return <span class="snippet">{parts.map((p, i) => (i % 2 === 1 ? <mark>{p}</mark> : p))}</span>
}

export function ScreenSearch(props: {
  api: DaybookApi
  token: string
  timeZone: string
  onJump: (atMs: number) => void
}) {
  const [query, setQuery] = useState('')
  const [hits, setHits] = useState<ScreenshotHit[] | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const time = (s: number) =>
    new Date(s * 1000).toLocaleString(undefined, {
      timeZone: props.timeZone,
      dateStyle: 'medium',
      timeStyle: 'short',
    })
  const search = async () => {
    if (query.trim() === '') return
    setBusy(true)
    setError(undefined)
    try {
      setHits(await new ScreenshotsApi(props.api).searchText({ query, limit: 20 }))
    } catch (e) {
      setHits(undefined)
      setError(e instanceof Error ? e.message : String(e))
    } finally {
      setBusy(false)
    }
  }
  return (
    <section class="card screens" aria-labelledby="screens-title">
      <div class="card-head">
        <h3 id="screens-title">What was on screen</h3>
      </div>
      <form
        class="screens-form"
        role="search"
        onSubmit={(e) => {
          e.preventDefault()
          void search()
        }}
      >
        <input
          type="search"
          aria-label="Words that were on screen"
          placeholder="Words that were on screen"
          data-testid="screens-query"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          Search
        </button>
      </form>
      {error ? <p class="error">{error}</p> : null}
      {hits && hits.length === 0 ? <p class="muted">Nothing on screen matched.</p> : null}
      {hits && hits.length > 0 ? (
        <ul class="screens-hits" data-testid="screens-hits">
          {hits.map((h) => (
            <li>
              <button
                type="button"
                class="screens-hit"
                title="Show this moment on the timeline"
                onClick={() => props.onJump(h.timestamp * 1000)}
              >
                <img src={imageSrc(h.imageUrl, props.token)} alt={`${h.app}: ${h.title}`} />
                <span class="screens-meta">
                  <strong>{time(h.timestamp)}</strong> · {h.app} · {h.title}
                  <Snippet text={h.snippet} />
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  )
}

/**
 * The frame nearest `atMs` (within five minutes), fetched at most once per minute of the day
 * under the pointer; undefined when there is none or this token may not see frames.
 */
export function useNearestFrame(
  api: DaybookApi,
  atMs: number | undefined,
): ScreenshotFrame | undefined {
  const [frame, setFrame] = useState<ScreenshotFrame | undefined>(undefined)
  const minute = atMs === undefined ? undefined : Math.round(atMs / 60_000)
  const cache = useRef(new Map<number, ScreenshotFrame | null>())
  useEffect(() => {
    if (minute === undefined) return
    const known = cache.current.get(minute)
    if (known !== undefined) {
      setFrame(known ?? undefined)
      return
    }
    const ctrl = new AbortController()
    new ScreenshotsApi(api)
      .around({ timestamp: minute * 60, windowSecs: 300, limit: 1 }, ctrl.signal)
      .then(
        (frames) => {
          cache.current.set(minute, frames[0] ?? null)
          if (!ctrl.signal.aborted) setFrame(frames[0])
        },
        () => {
          // No frames for this token (a read-only session) or none kept: no thumbnail.
          if (!ctrl.signal.aborted) setFrame(undefined)
        },
      )
    return () => ctrl.abort()
  }, [api, minute])
  return frame
}
