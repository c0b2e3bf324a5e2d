/**
 * Measures the test files: each runs as its own process (as under `npm test`), so many at a time,
 * in the runner's order (or alphabetical, as `node --test` starts them), and for each the wall
 * time and the CPU time of it and every process it waited for (daemons, CLI runs, browsers; not a
 * server that daemonizes itself, such as PostgreSQL's). Prints the table, the totals and the
 * load; `--write` keeps the wall times as the runner's order (`durations.json`).
 *
 *   node tools/test/measure.ts [--concurrency N] [--alphabetical] [--write] [--json FILE]
 *     [--logs DIR] [files or globs...]
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { DURATIONS, ROOT, longestFirst, readDurations, testFiles } from './files.ts'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    concurrency: { type: 'string', default: '4' },
    alphabetical: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    json: { type: 'string' },
    logs: { type: 'string' },
  },
})

interface Measured {
  file: string
  wall: number
  user: number
  sys: number
  code: number | null
}

const concurrency = Number(values.concurrency)
const all = testFiles(positionals.length > 0 ? positionals : undefined)
const files = values.alphabetical ? all : longestFirst(all, readDurations())
const logs = values.logs ?? mkdtempSync(path.join(os.tmpdir(), 'daybook-test-measure-'))
mkdirSync(logs, { recursive: true })

/** `bash`'s `times`: its children's user and system seconds (every process they waited for). */
function parseTimes(text: string): { user: number; sys: number } {
  const seconds = (m: string) => {
    const [, min, sec] = /(\d+)m([\d.]+)s/.exec(m) ?? ['', '0', '0']
    return Number(min) * 60 + Number(sec)
  }
  const line = text.trim().split('\n').at(-1) ?? ''
  const [user = '', sys = ''] = line.trim().split(/\s+/)
  return { user: seconds(user), sys: seconds(sys) }
}

function measure(file: string): Promise<Measured> {
  const log = path.join(logs, `${file.replaceAll('/', '_')}.log`)
  const timesFile = `${log}.times`
  const started = performance.now()
  // One process per file, as the runner starts it (its reporter aside), under bash, whose `times`
  // adds up the CPU of every process that ended under it.
  const child = spawn(
    'bash',
    [
      '-c',
      '"$0" --test-reporter=tap --test-timeout=300000 "$1" >"$2" 2>&1; rc=$?; times >"$3"; exit $rc',
      process.execPath,
      file,
      log,
      timesFile,
    ],
    { cwd: ROOT, stdio: 'ignore' },
  )
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      const wall = (performance.now() - started) / 1000
      resolve({ file, wall, ...parseTimes(readFileSync(timesFile, 'utf8')), code })
    })
  })
}

const load = () => readFileSync('/proc/loadavg', 'utf8').trim()
const loadBefore = load()
const started = performance.now()
const results: Measured[] = []
const queue = [...files]
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const r = await measure(file)
      results.push(r)
      process.stderr.write(
        `${r.wall.toFixed(1).padStart(6)} s ${(r.user + r.sys).toFixed(1).padStart(6)} s CPU  ${r.code === 0 ? '' : `exit ${r.code}  `}${file}\n`,
      )
    }
  }),
)
const wall = (performance.now() - started) / 1000

const byWall = results.toSorted((a, b) => b.wall - a.wall)
const cpu = results.reduce((s, r) => s + r.user + r.sys, 0)
const lines = [
  `| file | wall s | CPU s (user + sys) | exit |`,
  `| --- | ---: | ---: | ---: |`,
  ...byWall.map(
    (r) =>
      `| ${r.file} | ${r.wall.toFixed(1)} | ${(r.user + r.sys).toFixed(1)} (${r.user.toFixed(1)} + ${r.sys.toFixed(1)}) | ${r.code} |`,
  ),
  '',
  `${results.length} files, concurrency ${concurrency}, ${values.alphabetical ? 'alphabetical' : 'longest first'}: ` +
    `${wall.toFixed(1)} s wall, ${cpu.toFixed(1)} s CPU in the files' processes ` +
    `(lower bounds on ${os.availableParallelism()} cores: CPU / cores ${(cpu / os.availableParallelism()).toFixed(1)} s, ` +
    `longest file ${(byWall[0]?.wall ?? 0).toFixed(1)} s)`,
  `load average before: ${loadBefore}; after: ${load()}`,
  `logs: ${logs}`,
]
console.log(lines.join('\n'))
if (values.json) writeFileSync(values.json, `${JSON.stringify({ wall, cpu, results }, null, 2)}\n`)
if (values.write) {
  // Whole seconds, longest first: the list only orders files, and a diff stays small. Files not
  // measured this time keep their figures; files that are gone leave the list.
  const kept: Record<string, number> = { ...readDurations() }
  for (const r of results) kept[r.file] = Math.max(1, Math.round(r.wall))
  const present = new Set(testFiles())
  const sorted = Object.entries(kept)
    .filter(([file]) => present.has(file))
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
  writeFileSync(DURATIONS, `${JSON.stringify(Object.fromEntries(sorted), null, 2)}\n`)
}
if (results.some((r) => r.code !== 0)) process.exitCode = 1
