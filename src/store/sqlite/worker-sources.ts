/**
 * The worker's TypeScript modules with their types stripped, for `worker-entry.js`: every module
 * `worker.ts` imports, directly or not, found by following relative imports (and the migrations,
 * which are imported by path). Computed once per process, on the main thread.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { stripTypeScriptTypes } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+\.ts)'/g

let cached: Record<string, string> | undefined

/** URL → JavaScript source of the worker's modules. */
export function workerSources(entry: URL): Record<string, string> {
  if (cached) return cached
  const out: Record<string, string> = {}
  const migrations = path.join(path.dirname(fileURLToPath(entry)), 'migrations')
  const pending = [
    fileURLToPath(entry),
    ...readdirSync(migrations)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(migrations, f)),
  ]
  // Node reports its stripper as experimental, once; the daemon's own log should not carry that.
  const emitWarning = process.emitWarning.bind(process)
  process.emitWarning = () => undefined
  try {
    while (pending.length > 0) {
      const file = pending.pop() as string
      const url = pathToFileURL(file).href
      if (url in out) continue
      const ts = readFileSync(file, 'utf8')
      out[url] = stripTypeScriptTypes(ts, { mode: 'strip' })
      for (const m of ts.matchAll(IMPORT_RE)) {
        pending.push(path.resolve(path.dirname(file), m[1] as string))
      }
    }
  } finally {
    process.emitWarning = emitWarning
  }
  cached = out
  return out
}
