/**
 * The fuzzer: a real daemon (`daybook serve --aw`, its own process on a temporary data dir, a
 * model server for the chat) receiving generated requests over real sockets on both listeners,
 * with tokens of every scope and none. Any 5xx, or a request the daemon never answers, is a
 * failure: fast-check shrinks the request that caused it and it is printed as an `inject` call,
 * ready to paste into a test. The daemon's RSS, read after a warm-up (every operation a few
 * times, so lazily loaded modules are in) and again after the run, must stay within 50 MB (more
 * for each store thread the run started: `STORE_THREAD_MB`).
 *
 * Also reported: requests that got no answer on their first send but one when sent again (the
 * first of them with its connection), those among them that waited the whole answer timeout (a
 * request the daemon left hanging for a while), and how the daemon's clean stop went: what still
 * held its process once everything of its own was closed (a timer left running kept it alive for
 * five minutes after SIGTERM, which made a run take that much longer).
 */
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import fc from 'fast-check'
import WebSocket from 'ws'
import { DaemonProcess, type Live } from '../crash/daemon.ts'
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
  /** Stops sending after this long (the run is then reported as far as it got). */
  maxMs?: number
  /** Only the operations whose `METHOD /path` matches (all when not given). */
  only?: RegExp
  /** Writes heap snapshots of the daemon here: after the warm-up and at the end. */
  heapSnapshots?: string
  /** Told how far it got, now and then. */
  progress?: (line: string) => void
}

export interface FuzzFailure {
  request: FuzzRequest
  /** The status, or 0 when the daemon gave no answer. */
  status: number
  body: string
  /** The request as an `inject` call for a test. */
  snippet: string
}

/** The daemon's memory after a collection in every isolate, in MB. */
export interface MemorySample {
  requests: number
  rssMb: number
  /** The main thread's JavaScript heap (used), and memory outside it held by its objects. */
  heap: number
  external: number
  /** Each store worker thread's JavaScript heap (used). */
  workers: number[]
  /** The database file and its write-ahead log. */
  databaseMb: number
}

/** A sample as words, for progress lines. */
export function describeSample(s: MemorySample): string {
  return (
    `daemon RSS ${s.rssMb.toFixed(0)} MB (main thread's heap ${s.heap.toFixed(0)} MB, external ` +
    `${s.external.toFixed(0)} MB, store workers' heaps ${s.workers.map((w) => w.toFixed(0)).join(' + ')} MB), ` +
    `database ${s.databaseMb.toFixed(0)} MB`
  )
}

export interface FuzzReport {
  seed: number
  requests: number
  /** Answers by class: 2xx, 3xx, 4xx, 5xx. */
  statuses: Record<string, number>
  operations: number
  failure: FuzzFailure | undefined
  /** Requests Node's HTTP client refuses to send (a character a URL or header cannot hold). */
  unsendable: number
  /**
   * Requests (warm-up included) that got no answer, but an answer below 500 when sent again on a
   * new connection. A kept-alive connection the daemon closed just as it was reused is not one:
   * such a request never reached the daemon, and goes again at once.
   */
  noAnswerOnce: number
  /** Those of them that waited the whole answer timeout on their first send. */
  noAnswerInTime: number
  /** The first of those (else the first of all): the error, the request and its connection. */
  firstNoAnswer: string | undefined
  /** Milliseconds from SIGTERM to the daemon's exit. */
  stopMs: number
  /**
   * What kept the daemon's process alive after everything of its own had closed (listeners, store
   * threads), when it had not exited `STOP_LOOK_MS` after SIGTERM: its timers (their delay and
   * code). The daemon is then killed. Undefined when it exited by itself, or was still closing.
   */
  heldAfterStop: string | undefined
  /** The daemon's memory every 5,000 requests. */
  samples: MemorySample[]
  /** The daemon's resident set after the warm-up and after the run. */
  rssBeforeMb: number
  rssAfterMb: number
  /** How much the resident set may grow in this run (`RSS_GROWTH_LIMIT_MB`, `STORE_THREAD_MB`). */
  rssLimitMb: number
  ms: number
}

/** How often the daemon's memory is measured (after a collection), in requests. */
const SAMPLE_EVERY = 5_000

/** The RSS limit growth of a run. */
export const RSS_GROWTH_LIMIT_MB = 50

/**
 * What the limit grows by for each store thread the run started: a user the run created has a
 * diary of their own, opened with its own writer and reader threads on first use (about 15 MB
 * each). That memory is the diary's, not a leak.
 */
export const STORE_THREAD_MB = 20

/** Requests in flight at once. */
const CONCURRENCY = 8

/**
 * How long one request may go unanswered before it counts as a hang (a finding). Shorter with
 * DAYBOOK_FUZZ_ANSWER_TIMEOUT_MS, to hunt for requests left hanging for a while.
 */
const ANSWER_TIMEOUT_MS = Number(process.env.DAYBOOK_FUZZ_ANSWER_TIMEOUT_MS ?? 120_000)

/**
 * How long after SIGTERM the daemon's process is looked at, if it is still there: a clean stop of
 * an idle daemon takes a second or two. Only what is found then decides anything (see
 * `heldAfterStop`): a daemon still closing its store is waited for.
 */
const STOP_LOOK_MS = 30_000

/**
 * A session on the daemon's inspector (it is started with `--inspect` on a loopback port), for
 * a full garbage collection before each RSS reading and for heap snapshots. It is detached again
 * after each use: a daemon with one attached waits for it at exit.
 */
async function inspect<T>(
  daemon: DaemonProcess,
  use: (call: (method: string, params?: object) => Promise<unknown>, ws: WebSocket) => Promise<T>,
): Promise<T> {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(daemon.stderr)?.[1]
  if (url === undefined)
    throw new Error(`the daemon's inspector is not listening: ${daemon.stderr}`)
  const ws = new WebSocket(url, { maxPayload: 1 << 30 })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  let next = 1
  const call = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => {
      const id = next++
      const onMessage = (data: WebSocket.RawData) => {
        const m = JSON.parse(rawText(data)) as {
          id?: number
          result?: unknown
          error?: { message: string }
        }
        if (m.id !== id) return
        ws.off('message', onMessage)
        if (m.error) reject(new Error(m.error.message))
        else resolve(m.result)
      }
      ws.on('message', onMessage)
      ws.send(JSON.stringify({ id, method, params }))
    })
  try {
    return await use(call, ws)
  } finally {
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve())
      ws.close()
    })
  }
}

function rawText(data: WebSocket.RawData): string {
  const bytes = Array.isArray(data)
    ? Buffer.concat(data)
    : Buffer.isBuffer(data)
      ? data
      : Buffer.from(data)
  return bytes.toString()
}

/**
 * A full garbage collection in every isolate of the daemon (its main thread and its store's
 * worker threads, reached through the inspector's NodeWorker domain), so RSS is measured without
 * garbage awaiting one; returns their heaps then, in MB.
 */
async function collectGarbage(
  daemon: DaemonProcess,
): Promise<{ heap: number; external: number; workers: number[] }> {
  return inspect(daemon, async (call, ws) => {
    const sessions: string[] = []
    const replies = new Map<string, () => void>()
    const onMessage = (data: WebSocket.RawData) => {
      const m = JSON.parse(rawText(data)) as {
        method?: string
        params?: { sessionId: string; message?: string }
      }
      if (m.method === 'NodeWorker.attachedToWorker' && m.params) sessions.push(m.params.sessionId)
      if (m.method === 'NodeWorker.receivedMessageFromWorker' && m.params?.message) {
        const reply = JSON.parse(m.params.message) as { id?: number }
        if (reply.id === 1) replies.get(m.params.sessionId)?.()
      }
    }
    ws.on('message', onMessage)
    try {
      const workers = async () => {
        const { result } = (await call('Runtime.evaluate', {
          expression:
            'JSON.stringify(process.report.getReport().workers.map((w) => w.javascriptHeap.usedMemory))',
          returnByValue: true,
        })) as { result: { value: string } }
        return JSON.parse(result.value) as number[]
      }
      const count = (await workers()).length
      await call('NodeWorker.enable', { waitForDebuggerOnStart: false })
      for (let i = 0; sessions.length < count && i < 100; i++) await sleep(10)
      for (const sessionId of sessions) {
        await new Promise<void>((resolve) => {
          replies.set(sessionId, resolve)
          void call('NodeWorker.sendMessageToWorker', {
            sessionId,
            message: JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }),
          })
        })
      }
      await call('NodeWorker.disable')
      await call('HeapProfiler.collectGarbage')
      await call('HeapProfiler.collectGarbage')
      const { result } = (await call('Runtime.evaluate', {
        expression: 'JSON.stringify(process.memoryUsage())',
        returnByValue: true,
      })) as { result: { value: string } }
      const m = JSON.parse(result.value) as { heapUsed: number; external: number }
      return {
        heap: m.heapUsed / 2 ** 20,
        external: m.external / 2 ** 20,
        workers: (await workers()).map((w) => w / 2 ** 20),
      }
    } finally {
      ws.off('message', onMessage)
    }
  })
}

/** Writes a heap snapshot of the daemon's main thread to `file` (after a collection). */
async function heapSnapshot(daemon: DaemonProcess, file: string): Promise<void> {
  await inspect(daemon, async (call, ws) => {
    const out = createWriteStream(file)
    const onChunk = (data: WebSocket.RawData) => {
      const m = JSON.parse(rawText(data)) as { method?: string; params?: { chunk: string } }
      if (m.method === 'HeapProfiler.addHeapSnapshotChunk' && m.params) out.write(m.params.chunk)
    }
    ws.on('message', onChunk)
    await call('HeapProfiler.collectGarbage')
    await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false })
    ws.off('message', onChunk)
    await new Promise<void>((resolve, reject) =>
      out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    )
  })
}

/**
 * Stops the daemon as a service manager would (SIGTERM) and waits for it to exit. Still there
 * `STOP_LOOK_MS` later, it is looked at: when nothing of its own is left (no listener, connection
 * or store thread) and it is held all the same, what holds it is told and it is killed; else it
 * is still closing, and is waited for.
 */
async function stopDaemon(
  daemon: DaemonProcess,
): Promise<{ stopMs: number; heldAfterStop: string | undefined }> {
  const started = performance.now()
  if (daemon.running) daemon.child.kill('SIGTERM')
  const look = new AbortController()
  const exited = await Promise.race([
    daemon.exited.then(() => true),
    sleep(STOP_LOOK_MS, false, { signal: look.signal }).catch(() => true),
  ])
  look.abort()
  let heldAfterStop: string | undefined
  if (!exited && daemon.running) {
    heldAfterStop = await heldBy(daemon).catch(() => undefined)
    if (heldAfterStop !== undefined) daemon.child.kill('SIGKILL')
  }
  await daemon.exited
  return { stopMs: performance.now() - started, heldAfterStop }
}

/**
 * What keeps a stopping daemon's process alive, when nothing of its own is left: its referenced
 * timers (delay and code), or the kinds of resource it still has. Undefined while it still has a
 * listener, a connection or a store thread (it is closing).
 */
async function heldBy(daemon: DaemonProcess): Promise<string | undefined> {
  return inspect(daemon, async (call) => {
    const value = async (expression: string) =>
      (
        (await call('Runtime.evaluate', { expression, returnByValue: true })) as {
          result: { value: unknown }
        }
      ).result.value
    const { resources, workers } = JSON.parse(
      (await value(
        'JSON.stringify({ resources: process.getActiveResourcesInfo(), workers: process.report.getReport().workers.length })',
      )) as string,
    ) as { resources: string[]; workers: number }
    const own = ['TCPServerWrap', 'TCPWrap', 'PipeServerWrap']
    if (workers > 0 || resources.some((r) => own.includes(r))) return undefined
    // Timers, found as the objects whose prototype a timer has.
    const proto = (await call('Runtime.evaluate', {
      expression:
        '(() => { const t = setTimeout(() => {}, 0); clearTimeout(t); return Object.getPrototypeOf(t) })()',
    })) as { result: { objectId: string } }
    const found = (await call('Runtime.queryObjects', {
      prototypeObjectId: proto.result.objectId,
    })) as { objects: { objectId: string } }
    const timers = (
      (await call('Runtime.callFunctionOn', {
        objectId: found.objects.objectId,
        functionDeclaration: `function () {
          return this.filter((t) => !t._destroyed && t.hasRef()).map((t) =>
            \`a \${t._repeat ? 'repeating ' : ''}timer of \${t._idleTimeout} ms: \${String(t._onTimeout).replace(/\\s+/g, ' ').slice(0, 300)}\`)
        }`,
        returnByValue: true,
      })) as { result: { value: string[] } }
    ).result.value
    return timers.length > 0 ? timers.join('; ') : `resources: ${resources.join(', ')}`
  })
}

/** The size of the daemon's database files (main file and write-ahead log), in MB. */
function databaseMb(dir: string): number {
  let bytes = 0
  for (const f of ['daybook.db', 'daybook.db-wal']) {
    try {
      bytes += statSync(path.join(dir, 'data', f)).size
    } catch {
      // Not there (yet).
    }
  }
  return bytes / 2 ** 20
}

/** A process's resident set, from `/proc` (Linux), in MB. */
function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  return kb === undefined ? Number.NaN : Number(kb) / 1024
}

interface Answer {
  status: number
  body: string
}

/** One request over a real socket. Throws `Unsendable` when Node's client refuses it. */
class Unsendable extends Error {}

/** No answer to a request: the error, and the connection it went on. */
class NoAnswer extends Error {
  /** It waited the whole answer timeout. */
  readonly timedOut: boolean

  constructor(message: string, timedOut: boolean) {
    super(message)
    this.timedOut = timedOut
  }
}

/**
 * Sockets that have carried a request. Node's agent hands a socket freed by one response straight
 * to a request queued for one without marking it `reusedSocket`: this tells such a socket too.
 */
const usedSockets = new WeakSet<object>()

function sendHttp(
  port: number,
  agent: http.Agent | undefined,
  localAddress: string,
  r: { method: string; url: string; headers: Record<string, string>; payload: string | undefined },
  /** Keep the whole body (else its first 4 KB: enough to show a failure). */
  whole = false,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let req: http.ClientRequest
    try {
      req = http.request({
        host: '127.0.0.1',
        port,
        localAddress,
        method: r.method,
        path: r.url,
        // Node's client frames a GET's or DELETE's body with nothing at all: the daemon would
        // read it as the next request (and answer that with a second 400).
        headers:
          r.payload === undefined
            ? r.headers
            : { ...r.headers, 'content-length': String(Buffer.byteLength(r.payload)) },
        ...(agent ? { agent } : { agent: false }),
        timeout: ANSWER_TIMEOUT_MS,
      })
    } catch (err) {
      reject(new Unsendable(String(err)))
      return
    }
    req.on('response', (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => {
        if (whole || body.length < 4096) body += d
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', reject)
    })
    const started = performance.now()
    let reused = false
    let localPort: number | undefined
    req.on('socket', (socket) => {
      reused = req.reusedSocket || usedSockets.has(socket)
      usedSockets.add(socket)
      localPort = socket.localPort
      if (socket.connecting) socket.once('connect', () => (localPort = socket.localPort))
    })
    let timedOut = false
    req.on('timeout', () => {
      timedOut = true
      req.destroy(new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms`))
    })
    req.on('error', (err: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed just as it was reused: the request never reached
      // the daemon (Node's documented race), so it goes again on a new connection. Not a request
      // that went unanswered on one: that is a finding, and its time is not spent twice.
      if (reused && !timedOut && agent !== undefined) {
        sendHttp(port, undefined, localAddress, r, whole).then(resolve, reject)
        return
      }
      const connection = `${reused ? 'a kept-alive' : 'a new'} connection from ${localAddress}:${localPort ?? '?'}`
      const ms = Math.round(performance.now() - started)
      reject(new NoAnswer(`${err.message} (after ${ms} ms, on ${connection})`, timedOut))
    })
    req.end(r.payload)
  })
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'daybook-fuzz-'))
  const model = await startModelServer()
  const daemon = new DaemonProcess({
    dataDir: path.join(dir, 'data'),
    configDir: path.join(dir, 'config'),
    aw: true,
    env: { DAYBOOK_LLM_BASE_URL: model.url, DAYBOOK_LLM_MODEL: 'stub' },
    nodeArgs: ['--inspect=127.0.0.1:0'],
  })
  // Keep-alive, a few sockets: the daemon's connection caps are not what is fuzzed here.
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  try {
    const live = await daemon.ready()
    const pid = daemon.child.pid ?? 0
    const tokens = await scopedTokens(live)
    const secret = (t: TokenChoice) =>
      t === 'admin'
        ? live.token
        : t === 'none'
          ? undefined
          : t === 'wrong'
            ? 'sk-not-a-token'
            : tokens[t]
    // A wrong token counts against its address's budget of failed authentications (20 a
    // minute): each goes from another loopback address, so most reach the route's checks.
    let wrongFrom = 0

    const send = async (r: FuzzRequest, fresh = false): Promise<Answer> => {
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
      const port = r.listener === 'api' ? live.port : (live.awPort ?? 0)
      const wrong = r.token === 'wrong'
      const from = wrong ? `127.0.0.${2 + (wrongFrom++ % 250)}` : '127.0.0.1'
      return sendHttp(port, wrong || fresh ? undefined : agent, from, { ...r, url, headers })
    }

    const doc = JSON.parse(await fetchText(live, '/v1/openapi.json')) as {
      paths: Record<string, Record<string, object>>
      components?: { schemas?: Record<string, Schema> }
    }
    const operations: Operation[] = [...operationsOf(doc), ...ACTIVITYWATCH, ...OTHERS].filter(
      (o) => options.only?.test(`${o.method} ${o.path}`) ?? true,
    )
    const refs = doc.components?.schemas ?? {}
    const arbitraries = operations.map((op) => requestOf(op, refs))
    const arbitrary = fc.oneof(...arbitraries)

    let noAnswerOnce = 0
    let noAnswerInTime = 0
    let firstNoAnswer: string | undefined
    /**
     * Sends a request; one that gets no answer goes again on a new connection. Answered then, it
     * is counted (and the first such error kept for the report, one that waited the whole timeout
     * before any other); unanswered again, the daemon died or hangs: that is thrown.
     */
    const attempt = async (r: FuzzRequest, count = true): Promise<Answer> => {
      try {
        return await send(r)
      } catch (err) {
        if (!(err instanceof NoAnswer)) throw err
        const again = await send(r, true).catch(() => undefined)
        if (again === undefined || again.status >= 500) {
          throw new Error(
            `no answer (${err.message}); the daemon ${daemon.running ? 'still runs' : `exited: ${daemon.stderr.slice(-2000)}`}`,
          )
        }
        if (!count) return again
        noAnswerOnce++
        if (err.timedOut) noAnswerInTime++
        if (firstNoAnswer === undefined || (err.timedOut && noAnswerInTime === 1)) {
          firstNoAnswer =
            `${err.message}: ${r.method} ${r.url.slice(0, 300)} (${r.listener} listener, ` +
            `${r.token} token as ${r.authForm}${Object.keys(r.headers).length > 0 ? `, headers ${JSON.stringify(r.headers)}` : ''}); ` +
            `answered ${again.status} when sent again`
        }
        return again
      }
    }

    // Warm-up: every operation a few times, so what loads lazily (the MCP SDK, the chat engine,
    // validators compiled on first use) is loaded before the first measurement. Its failures are
    // the run's to find; only a request that goes unanswered is noted here.
    for (const a of arbitraries) {
      for (const r of fc.sample(a, { numRuns: 3, seed: options.seed })) {
        await attempt(r).catch(() => undefined)
      }
    }
    if (options.heapSnapshots !== undefined)
      await heapSnapshot(daemon, path.join(options.heapSnapshots, 'before.heapsnapshot'))
    const statuses: Record<string, number> = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }
    let unsendable = 0
    let sent = 0
    const measure = async (): Promise<MemorySample> => {
      const memory = await collectGarbage(daemon)
      return { requests: sent, rssMb: rssMb(pid), databaseMb: databaseMb(dir), ...memory }
    }
    const samples: MemorySample[] = [await measure()]
    const rssBeforeMb = samples[0]?.rssMb ?? Number.NaN

    /**
     * Sends one request and judges its answer: undefined when it passes, else what failed (a
     * 5xx, or no answer even when sent again on a new connection).
     */
    const judge = async (r: FuzzRequest, count: boolean): Promise<Answer | undefined> => {
      let res: Answer
      try {
        res = await attempt(r, count)
      } catch (err) {
        if (err instanceof Unsendable) {
          if (count) unsendable++
          return undefined
        }
        return { status: 0, body: (err as Error).message }
      }
      if (count) {
        sent++
        const kind = `${Math.floor(res.status / 100)}xx`
        statuses[kind] = (statuses[kind] ?? 0) + 1
      }
      return res.status < 500 ? undefined : res
    }

    // Requests go CONCURRENCY at a time (one at a time, the daemon's cores idle while the
    // fuzzer waits for each answer). fast-check generates them in its own order: the property
    // only hands each to the pool, and the run stops at the first failure, which is then found
    // again by its index (fast-check's `path`) and shrunk one request at a time.
    const inFlight = new Set<Promise<void>>()
    let index = 0
    let firstFailure: { index: number; answer: Answer } | undefined
    const drain = () => Promise.all(inFlight)
    await fc.check(
      fc.asyncProperty(arbitrary, async (r) => {
        if (firstFailure !== undefined) return false
        const mine = index++
        const p: Promise<void> = judge(r, true).then((failed) => {
          inFlight.delete(p)
          if (failed !== undefined && (firstFailure === undefined || mine < firstFailure.index))
            firstFailure = { index: mine, answer: failed }
        })
        inFlight.add(p)
        if (inFlight.size >= CONCURRENCY) await Promise.race(inFlight)
        if ((mine + 1) % SAMPLE_EVERY === 0) {
          await drain()
          const sample = await measure()
          samples.push(sample)
          options.progress?.(
            `${sent} requests, ${statuses['5xx']} 5xx, ${noAnswerOnce} answered when re-sent; ` +
              describeSample(sample),
          )
        }
        return true
      }),
      {
        numRuns: options.requests,
        seed: options.seed,
        endOnFailure: true,
        ...(options.maxMs === undefined
          ? {}
          : { interruptAfterTimeLimit: options.maxMs, markInterruptAsFailure: false }),
      },
    )
    await drain()
    let failure: FuzzFailure | undefined
    if (firstFailure !== undefined) {
      // The failing request, replayed by its index and shrunk. The shrunk one's answer is kept
      // (sent again, it might not fail: how deep a stack overflows depends on who calls); when the
      // failure does not come back on its own, the request is reported as it was first sent.
      let lastFailed: Answer | undefined
      const replay = await fc.check(
        fc.asyncProperty(arbitrary, async (r) => {
          const failed = await judge(r, false)
          if (failed !== undefined) lastFailed = failed
          return failed === undefined
        }),
        { seed: options.seed, path: String(firstFailure.index), numRuns: 1 },
      )
      const [request] =
        replay.failed && replay.counterexample
          ? replay.counterexample
          : (fc.sample(arbitrary, {
              seed: options.seed,
              path: String(firstFailure.index),
              numRuns: 1,
            }) as [FuzzRequest])
      const answer = replay.failed ? (lastFailed ?? firstFailure.answer) : firstFailure.answer
      failure = { request, ...answer, snippet: snippet(request) }
    }
    let rssAfterMb = Number.NaN
    let rssLimitMb = RSS_GROWTH_LIMIT_MB
    if (daemon.running) {
      if (options.heapSnapshots !== undefined)
        await heapSnapshot(daemon, path.join(options.heapSnapshots, 'after.heapsnapshot'))
      const after = await measure()
      samples.push(after)
      rssAfterMb = after.rssMb
      const threads = after.workers.length - (samples[0]?.workers.length ?? after.workers.length)
      rssLimitMb += STORE_THREAD_MB * Math.max(0, threads)
    }
    const ms = performance.now() - started
    agent.destroy()
    const stop = await stopDaemon(daemon)
    return {
      seed: options.seed,
      requests: sent,
      statuses,
      operations: operations.length,
      failure,
      unsendable,
      noAnswerOnce,
      noAnswerInTime,
      firstNoAnswer,
      ...stop,
      samples,
      rssBeforeMb,
      rssAfterMb,
      rssLimitMb,
      ms,
    }
  } finally {
    agent.destroy()
    if (daemon.running) await stopDaemon(daemon)
    await model.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A GET with the admin token; the body as text. */
async function fetchText(live: Live, url: string): Promise<string> {
  const res = await sendHttp(
    live.port,
    undefined,
    '127.0.0.1',
    {
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${live.token}` },
      payload: undefined,
    },
    true,
  )
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${res.body}`)
  return res.body
}

/** Tokens of every scope but admin (the daemon's token is admin). */
async function scopedTokens(live: Live): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const acl of ['read_only', 'data', 'stream', 'ingest']) {
    const res = await sendHttp(live.port, undefined, '127.0.0.1', {
      method: 'POST',
      url: '/v1/auth/tokens',
      headers: { authorization: `Bearer ${live.token}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: `fuzz ${acl}`, acl, expiry: 'never' }),
    })
    if (res.status !== 201 && res.status !== 200) {
      throw new Error(`could not make a ${acl} token: ${res.status} ${res.body}`)
    }
    out[acl] = (JSON.parse(res.body) as { token: string }).token
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
