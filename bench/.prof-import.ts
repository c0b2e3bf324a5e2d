// temporary profiling harness (not committed)
import { spawn } from 'node:child_process'
import { createWriteStream, existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { once } from 'node:events'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { generateDay } from './generate.ts'
const ROOT = path.join(import.meta.dirname, '..')
const LAUNCHER = path.join(ROOT, 'bin', 'daybook.js')
const DAY = 86_400_000
const count = Number(process.argv[2] ?? 20000)
const profDir = process.argv[3] ?? '/tmp/bk2/prof'
const dir = mkdtempSync(path.join(os.tmpdir(), 'bk2-prof-'))
const dataDir = path.join(dir, 'data'), configDir = path.join(dir, 'config'), file = path.join(dir, 'e.ndjson')
const out = createWriteStream(file)
out.write(`${JSON.stringify({ type: 'header', format: 'daybook', version: 1, exportedAt: new Date().toISOString(), schema: 0 })}\n`)
const start = Date.UTC(new Date().getUTCFullYear() - 1, 0, 1)
let n = 0
outer: for (let d = 0; ; d++) for (const e of generateDay(d, start + d * DAY).events) {
  if (n++ >= count) break outer
  if (!out.write(`${JSON.stringify({ type: 'event', startMs: Date.parse(e.timestamp), endMs: Date.parse(e.end_timestamp), durationSec: null, category: e.category, app: e.app_name, entity: e.entity_name, entityType: e.entity_type, project: e.project_name, projectPath: null, branch: e.branch_name, language: e.language_name, source: e.source_name, device: 'bench' })}\n`)) await once(out, 'drain')
}
out.end(); await once(out, 'close')
const daemon = spawn(process.execPath, [LAUNCHER, 'serve', '--port', '0', '--data-dir', dataDir, '--config-dir', configDir], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profDir}` } })
while (!existsSync(path.join(dataDir, 'daemon.json'))) await sleep(10)
const t0 = performance.now()
const cli = spawn(process.execPath, [LAUNCHER, 'import', file, '--data-dir', dataDir, '--config-dir', configDir], { stdio: ['ignore', 'inherit', 'inherit'] })
await once(cli, 'exit')
console.log('import ms', performance.now() - t0, 'rate', count / ((performance.now() - t0) / 1000))
daemon.kill('SIGTERM'); await once(daemon, 'exit')
