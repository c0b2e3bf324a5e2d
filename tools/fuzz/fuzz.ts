/**
 * The fuzzer: the whole API (as the daemon builds it, on a real SQLite file, with ActivityWatch's
 * listener and a model server for the chat) receiving generated requests through `inject`, every
 * token scope and none. Any 5xx is a failure: fast-check shrinks the request that caused it and
 * it is printed as an `inject` call, ready to paste into a test. The process's RSS, measured
 * after a warm-up (every operation once, so lazily loaded modules are in) and again after the
 * run, must stay within 50 MB.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import fc from 'fast-check'
import { buildApp } from '../../src/api/app.ts'
import { buildAwApp } from '../../src/api/compat/activitywatch/app.ts'
import {
  StaticKeyAuthenticator,
  ensureDefaultToken,
  fileDefaultToken,
} from '../../src/auth/default-token.ts'
import { openStore } from '../../src/store/open.ts'
import { startModelServer } from './model-server.ts'
import {
  ACTIVITYWATCH,
  type FuzzRequest,
  OTHERS,
  type Operation,
  type TokenChoice,
  operationsOf,
  requestOf,
} from './targets.ts'
import type { Schema } from './values.ts'

export interface FuzzOptions {
  requests: number
  seed: number
  /** Only the operations whose `METHOD /path` matches (all when not given). */
  only?: RegExp
  /** Told how far it got, now and then. */
  progress?: (line: string) => void
}

export interface FuzzFailure {
  request: FuzzRequest
  status: number
  body: string
  /** The request as an `inject` call for a test. */
  snippet: string
}

export interface FuzzReport {
  seed: number
  requests: number
  /** Answers by class: 2xx, 3xx, 4xx, 5xx. */
  statuses: Record<string, number>
  operations: number
  failure: FuzzFailure | undefined
  /** Requests the HTTP layer could not even be handed (an invalid URL or header). */
  unsendable: number
  rssBeforeMb: number
  rssAfterMb: number
  /** The JavaScript heap in use (main thread), to tell a leak of objects from native memory. */
  heapBeforeMb: number
  heapAfterMb: number
  ms: number
}

/** The RSS limit growth of a run. */
export const RSS_GROWTH_LIMIT_MB = 50

function collectGarbage(): void {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as (() => void) | undefined
  gc?.()
  gc?.()
}

function memoryMb(): { rss: number; heap: number } {
  collectGarbage()
  const m = process.memoryUsage()
  return { rss: m.rss / (1024 * 1024), heap: m.heapUsed / (1024 * 1024) }
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'daybook-fuzz-'))
  const model = await startModelServer()
  const store = await openStore({ driver: 'sqlite', file: path.join(dir, 'daybook.db') })
  await store.migrate()
  const defaultToken = fileDefaultToken(
    path.join(dir, 'config', 'auth.token'),
    ensureDefaultToken(path.join(dir, 'config', 'auth.token')),
  )
  const authenticator = new StaticKeyAuthenticator(() => defaultToken.current())
  const app = await buildApp({
    store,
    authenticator,
    defaultToken,
    // Guessed tokens would soon get nothing but 429s, and no route would be reached.
    authFailureLimit: { limit: 1e9, windowMs: 60_000 },
    llm: {
      configFile: path.join(dir, 'config', 'llm.json'),
      environment: { baseUrl: model.url, model: 'stub' },
    },
  })
  const aw = await buildAwApp({ daybook: app.daybook, authenticator })
  try {
    await app.ready()
    await aw.ready()
    const tokens = await scopedTokens(app, defaultToken.current())
    const secret = (t: TokenChoice) =>
      t === 'admin'
        ? defaultToken.current()
        : t === 'none'
          ? undefined
          : t === 'wrong'
            ? 'sk-not-a-token'
            : tokens[t]

    const send = async (r: FuzzRequest) => {
      const target = r.listener === 'api' ? app : aw
      const headers = { ...r.headers }
      let url = r.url
      const key = secret(r.token)
      if (key !== undefined) {
        if (r.authForm === 'query') {
          url += `${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(key)}&api_key=${encodeURIComponent(key)}`
        } else {
          headers.authorization =
            r.authForm === 'raw'
              ? key
              : r.authForm === 'basic'
                ? `Basic ${Buffer.from(key).toString('base64')}`
                : r.authForm === 'lowercase'
                  ? `bearer ${key}`
                  : r.authForm === 'doubled'
                    ? `Bearer ${key} ${key}`
                    : `Bearer ${key}`
        }
      }
      if (r.listener === 'activitywatch') headers.host ??= '127.0.0.1:5600'
      return target.inject({
        method: r.method as 'GET',
        url,
        headers,
        ...(r.payload === undefined ? {} : { payload: r.payload }),
      })
    }

    const doc = (
      await app.inject({
        url: '/v1/openapi.json',
        headers: { authorization: `Bearer ${defaultToken.current()}` },
      })
    ).json<{
      paths: Record<string, Record<string, object>>
      components?: { schemas?: Record<string, Schema> }
    }>()
    const operations: Operation[] = [...operationsOf(doc), ...ACTIVITYWATCH, ...OTHERS].filter(
      (o) => options.only?.test(`${o.method} ${o.path}`) ?? true,
    )
    const refs = doc.components?.schemas ?? {}
    const arbitraries = operations.map((op) => requestOf(op, refs))
    const arbitrary = fc.oneof(...arbitraries)

    // Warm-up: every operation a few times, so what loads lazily (the MCP SDK, the chat engine,
    // validators compiled on first use) is loaded before the first measurement.
    for (const a of arbitraries) {
      for (const r of fc.sample(a, { numRuns: 3, seed: options.seed })) {
        await send(r).catch(() => undefined)
      }
    }
    const before = memoryMb()

    const statuses: Record<string, number> = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }
    let unsendable = 0
    let sent = 0
    // The answer of the last request that failed: the shrunk one's, once shrinking is done (sent
    // again, it might not fail: how deep a stack overflows depends on who calls).
    let lastFailed: { status: number; body: string } | undefined
    const result = await fc.check(
      fc.asyncProperty(arbitrary, async (r) => {
        let res
        try {
          res = await send(r)
        } catch {
          unsendable++
          return true
        }
        sent++
        statuses[`${Math.floor(res.statusCode / 100)}xx`] =
          (statuses[`${Math.floor(res.statusCode / 100)}xx`] ?? 0) + 1
        if (sent % 50_000 === 0) options.progress?.(`${sent} requests, ${statuses['5xx']} 5xx`)
        if (res.statusCode < 500) return true
        lastFailed = { status: res.statusCode, body: res.body }
        return false
      }),
      { numRuns: options.requests, seed: options.seed },
    )
    let failure: FuzzFailure | undefined
    if (result.failed && result.counterexample) {
      const [request] = result.counterexample
      failure = { request, ...(lastFailed ?? { status: 0, body: '' }), snippet: snippet(request) }
    }
    const after = memoryMb()
    return {
      seed: options.seed,
      requests: sent,
      statuses,
      operations: operations.length,
      failure,
      unsendable,
      rssBeforeMb: before.rss,
      rssAfterMb: after.rss,
      heapBeforeMb: before.heap,
      heapAfterMb: after.heap,
      ms: performance.now() - started,
    }
  } finally {
    await aw.close()
    await app.close()
    await model.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Tokens of every scope but admin (the default token is admin). */
async function scopedTokens(
  app: Awaited<ReturnType<typeof buildApp>>,
  admin: string,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const acl of ['read_only', 'data', 'stream', 'ingest']) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/auth/tokens',
      headers: { authorization: `Bearer ${admin}` },
      payload: { name: `fuzz ${acl}`, acl, expiry: 'never' },
    })
    out[acl] = res.json<{ token: string }>().token
  }
  return out
}

/** A request as a test line: `inject` on the app (`startApp`) or ActivityWatch's (`startAw`). */
export function snippet(r: FuzzRequest): string {
  const auth =
    r.token === 'none'
      ? ''
      : `  // token: ${r.token === 'wrong' ? 'a wrong one' : `one of scope ${r.token}`}, sent as ${r.authForm}\n`
  const headers = Object.keys(r.headers).length > 0 ? `, headers: ${JSON.stringify(r.headers)}` : ''
  const payload =
    r.payload === undefined
      ? ''
      : `, payload: ${JSON.stringify(r.payload.length > 2000 ? `${r.payload.slice(0, 2000)}…` : r.payload)}`
  const on = r.listener === 'api' ? 'app' : 'aw'
  return `${auth}await ${on}.inject({ method: '${r.method}', url: ${JSON.stringify(r.url)}${headers}${payload} })`
}
