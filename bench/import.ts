/**
 * `npm run bench -- --import N`: a `daybook` export of N generated events (default 2,000,000; the
 * bench's year, day after day) imported by `daybook import` into a real daemon, with the daemon's
 * peak RSS (the bound: 300 MB) and the rate beside the raw floor (the same rows into a bare
 * node:sqlite table, `raw.ts`), also counted from the job's own start and end (without the CLI's
 * start-up, which dominates a small import on a loaded machine), and the daemon's CPU time per
 * 1,000 events. Opt-in: it writes a file of a few hundred MB.
 */
import { spawn } from 'node:child_process'
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { once } from 'node:events'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { generateDay } from './generate.ts'
import { RawFloor } from './raw.ts'
import type { BenchEvent } from './generate.ts'

const ROOT = path.join(import.meta.dirname, '..')
const LAUNCHER = path.join(ROOT, 'bin', 'daybook.js')
const DAY = 86_400_000
const RSS_BOUND = 300 * 2 ** 20

const log = (m: string) => process.stderr.write(`bench import: ${m}\n`)

/** CPU time the process has used so far (user + system, ms), from /proc. */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  // utime and stime are fields 14 and 15 of stat; here counted after the command's name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) * 1024
}

/** The generated events, `count` of them, day after day from a year ago. */
function* events(count: number): Generator<BenchEvent> {
  const start = Date.UTC(new Date().getUTCFullYear() - 1, 0, 1)
  let n = 0
  for (let d = 0; n < count; d++) {
    for (const e of generateDay(d, start + d * DAY).events) {
      if (n++ >= count) return
      yield e
    }
  }
}

/** Runs the import bench; prints a markdown table. */
export async function runImportBench(count: number): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'daybook-bench-import-'))
  const dataDir = path.join(dir, 'data')
  const configDir = path.join(dir, 'config')
  const file = path.join(dir, 'export.ndjson')
  try {
    log(`writing ${count} events to ${file}`)
    const out = createWriteStream(file)
    const write = async (line: string) => {
      if (!out.write(line)) await once(out, 'drain')
    }
    await write(
      `${JSON.stringify({ type: 'header', format: 'daybook', version: 1, exportedAt: new Date().toISOString(), schema: 0 })}\n`,
    )
    for (const e of events(count)) {
      await write(
        `${JSON.stringify({
          type: 'event',
          startMs: Date.parse(e.timestamp),
          endMs: Date.parse(e.end_timestamp),
          durationSec: null,
          category: e.category,
          app: e.app_name,
          entity: e.entity_name,
          entityType: e.entity_type,
          project: e.project_name,
          projectPath: null,
          branch: e.branch_name,
          language: e.language_name,
          source: e.source_name,
          device: 'bench',
        })}\n`,
      )
    }
    out.end()
    await once(out, 'close')
    const bytes = statSync(file).size

    const daemon = spawn(
      process.execPath,
      [LAUNCHER, 'serve', '--port', '0', '--data-dir', dataDir, '--config-dir', configDir],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    )
    const discovery = path.join(dataDir, 'daemon.json')
    while (!existsSync(discovery)) await sleep(10)
    const { pid } = JSON.parse(readFileSync(discovery, 'utf8')) as { pid: number }
    let peak = 0
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rssOf(pid))
      } catch {
        // gone
      }
    }, 100)
    log(`importing ${(bytes / 1e6).toFixed(0)} MB`)
    const cpu0 = cpuMsOf(pid)
    const t0 = performance.now()
    const cli = spawn(
      process.execPath,
      [LAUNCHER, 'import', file, '--json', '--data-dir', dataDir, '--config-dir', configDir],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let printed = ''
    cli.stdout.on('data', (d: Buffer) => (printed += d.toString()))
    const [code] = (await once(cli, 'exit')) as [number]
    const importMs = performance.now() - t0
    const daemonCpuMs = cpuMsOf(pid) - cpu0
    clearInterval(sampler)
    daemon.kill('SIGTERM')
    await once(daemon, 'exit')
    if (code !== 0) throw new Error(`daybook import exited with ${code}`)
    // The job's own time, from its first byte to its last write: without the CLI's start-up.
    const job = JSON.parse(printed) as { startedMs: number; finishedMs: number }
    const jobMs = job.finishedMs - job.startedMs

    const raw = new RawFloor(path.join(dir, 'raw.db'))
    const r0 = performance.now()
    let batch: BenchEvent[] = []
    for (const e of events(count)) {
      batch.push(e)
      if (batch.length === 1000) {
        raw.insert(batch)
        batch = []
      }
    }
    if (batch.length > 0) raw.insert(batch)
    const rawMs = performance.now() - r0
    raw.close()

    const rate = (count / importMs) * 1000
    const rawRate = (count / rawMs) * 1000
    const table = [
      ['measure', 'daybook', 'baseline', 'ratio', 'target'],
      [
        `import ${count} events (events/s)`,
        rate.toFixed(0),
        `${rawRate.toFixed(0)} (raw insert)`,
        (rawRate / rate).toFixed(1),
        '',
      ],
      [
        `import ${count} events, the daemon's job alone (events/s)`,
        ((count / jobMs) * 1000).toFixed(0),
        `${rawRate.toFixed(0)} (raw insert)`,
        (rawRate / ((count / jobMs) * 1000)).toFixed(1),
        '',
      ],
      ['daemon CPU per 1,000 events (ms)', ((daemonCpuMs / count) * 1000).toFixed(0), '', '', ''],
      ['daemon peak RSS (MB)', (peak / 2 ** 20).toFixed(0), '', '', '< 300'],
    ]
    process.stdout.write(`${table.map((r) => `| ${r.join(' | ')} |`).join('\n')}\n`)
    if (peak > RSS_BOUND) {
      log(`peak RSS ${(peak / 2 ** 20).toFixed(0)} MB is over the 300 MB bound`)
      process.exitCode = 1
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
