/**
 * The worker's TypeScript modules with their types stripped, for `worker-entry.js`: every module
 * `worker.ts` imports, directly or not, found by following relative imports (and the migrations,
 * which are imported by path). Computed once per process, on the main thread.
 *
 * Stripping loads Node's TypeScript stripper (a WebAssembly module) on the main thread, which
 * otherwise never needs it once the compile cache holds its own modules: a third of a second of
 * start-up. So the stripped sources are cached beside Node's compile cache (when it is enabled,
 * as the launcher does), keyed by a hash of the TypeScript they came from and the Node version.
 */
import { createHash } from 'node:crypto'
import {
  type Stats,
  chmodSync,
  lstatSync,
  readFileSync,
  readdirSync,
  renameSync,
  writeFileSync,
} from 'node:fs'
import module, { stripTypeScriptTypes } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+\.ts)'/g

let cached: Record<string, string> | undefined

/** Bumped whenever what `strip` makes of a source changes. */
const SOURCES_FORMAT = 2

/** URL → JavaScript source of the worker's modules. */
export function workerSources(entry: URL): Record<string, string> {
  if (cached) return cached
  const typescript = workerModules(entry)
  // The format's version, the Node version and every source: a cache of another format is not read.
  const hash = createHash('sha256').update(`${SOURCES_FORMAT}\0${process.version}`)
  for (const [url, ts] of typescript) hash.update(`\0${url}\0${ts}`)
  const cacheFile = cachePath(hash.digest('hex').slice(0, 32))
  const sources = (cacheFile === undefined ? undefined : readCache(cacheFile)) ?? strip(typescript)
  if (cacheFile !== undefined) writeCache(cacheFile, sources)
  cached = sources
  return sources
}

/** URL → TypeScript source of every module the worker loads. */
function workerModules(entry: URL): Map<string, string> {
  const out = new Map<string, string>()
  const migrations = path.join(path.dirname(fileURLToPath(entry)), 'migrations')
  const pending = [
    fileURLToPath(entry),
    ...readdirSync(migrations)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(migrations, f)),
  ]
  while (pending.length > 0) {
    const file = pending.pop() as string
    const url = pathToFileURL(file).href
    if (out.has(url)) continue
    const ts = readFileSync(file, 'utf8')
    out.set(url, ts)
    for (const m of ts.matchAll(IMPORT_RE)) {
      pending.push(path.resolve(path.dirname(file), m[1] as string))
    }
  }
  return out
}

function strip(typescript: Map<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  // Node reports its stripper as experimental, once; the daemon's own log should not carry that.
  const emitWarning = process.emitWarning.bind(process)
  process.emitWarning = () => undefined
  try {
    for (const [url, ts] of typescript) {
      // Exactly what Node compiles for a TypeScript module it loads itself (its own stripping,
      // then this line): the modules both threads load have one entry in the compile cache. A
      // source that differed (without the line) made each thread reject and rewrite the other's
      // entry at every start, so neither compiled those modules from the cache.
      out[url] = `${stripTypeScriptTypes(ts, { mode: 'strip' })}\n\n//# sourceURL=${url}`
    }
  } finally {
    process.emitWarning = emitWarning
  }
  return out
}

/** The cache file for `key`, or undefined when Node's compile cache is not enabled. */
function cachePath(key: string): string | undefined {
  const dir = module.getCompileCacheDir?.()
  return dir ? path.join(dir, `daybook-worker-${key}.json`) : undefined
}

/**
 * The daemon runs what this file holds: it is used only when it is a regular file of this user's
 * that nobody else can write (the compile cache lives in a shared temporary directory).
 */
function trusted(stats: Stats): boolean {
  const own = process.getuid === undefined || stats.uid === process.getuid()
  return stats.isFile() && own && (stats.mode & 0o022) === 0
}

function readCache(file: string): Record<string, string> | undefined {
  try {
    if (!trusted(lstatSync(file))) return undefined
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>
  } catch {
    return undefined // absent or unreadable: strip again
  }
}

function writeCache(file: string, sources: Record<string, string>): void {
  try {
    if (trusted(lstatSync(file))) return // already there
  } catch {
    // absent: write it
  }
  try {
    const temp = `${file}.${process.pid}.tmp`
    writeFileSync(temp, JSON.stringify(sources), { mode: 0o600, flag: 'wx' })
    chmodSync(temp, 0o600)
    renameSync(temp, file)
  } catch {
    // A cache that cannot be written costs the next start a third of a second, nothing more.
  }
}
