/**
 * The crash harness: each trial runs a real daemon on a fresh data dir, puts a scenario's
 * workload on it, kills it with SIGKILL at a random moment, starts it again on the same data,
 * sends again what a client got no answer for, and checks everything (see `checks.ts`). A
 * scenario is one small module (`scenarios/`); the runner, the ledgers and the checks are shared.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { FeedFollower, SettingsLedger, checkDatabase, checkFeed } from './checks.ts'
import { DaemonProcess, type Live } from './daemon.ts'
import { type ItemKind, type KindResult, Ledger, StoredView, Times, checkLedger } from './items.ts'
import { Random } from './random.ts'

/** What a scenario's workload and seed see of the trial. */
export interface Trial {
  readonly rng: Random
  readonly times: Times
  readonly dataDir: string
  readonly dbFile: string
  readonly settings: SettingsLedger
  /** `n` items (or ms) as this run sizes them: all of them, or a fraction for a quick pass. */
  size(n: number): number
  /** The ledger of a kind (the same one for every call with that kind). */
  ledger<T>(kind: ItemKind<T>): Ledger<T>
  /** True once the daemon has been killed: workloads stop. */
  readonly stopped: boolean
}

/** One scenario: what runs while the daemon is killed. */
export interface Scenario {
  name: string
  /** One line for the table and `--help`. */
  about: string
  /** Also serve ActivityWatch's API. */
  aw?: boolean
  /** Fills the data dir before the first start (history; a database at an older schema). */
  seed?(trial: Trial): Promise<void>
  /** When to kill: so many ms after the spawn, or after the daemon is ready. */
  kill(trial: Trial): { from: 'spawn' | 'ready'; ms: number }
  /** The workload, against the live daemon, until `trial.stopped` (or it cannot reach it). */
  work(trial: Trial, live: Live): Promise<void>
}

export interface TrialResult {
  scenario: string
  seed: number
  acknowledged: number
  lost: string[]
  doubled: string[]
  integrity: string[]
  rollups: string[]
  feed: string[]
  settings: string[]
  /** Anything else that went wrong: a refusal, a daemon that would not restart or stop. */
  errors: string[]
  ms: number
  /** The kill came before the daemon was ready (during start-up or migration). */
  beforeReady: boolean
  /** The kept data dir of a failed trial. */
  dir: string | undefined
}

export function failed(r: TrialResult): boolean {
  return (
    r.lost.length +
      r.doubled.length +
      r.integrity.length +
      r.rollups.length +
      r.feed.length +
      r.settings.length +
      r.errors.length >
    0
  )
}

class TrialState implements Trial {
  readonly rng: Random
  readonly times = new Times(Date.now())
  readonly dataDir: string
  readonly configDir: string
  readonly dbFile: string
  readonly settings = new SettingsLedger()
  readonly ledgers = new Map<ItemKind<never>, Ledger<never>>()
  readonly #scale: number
  stopped = false

  constructor(dir: string, seed: number, scale: number) {
    this.rng = new Random(seed)
    this.#scale = scale
    this.dataDir = path.join(dir, 'data')
    this.configDir = path.join(dir, 'config')
    this.dbFile = path.join(this.dataDir, 'daybook.db')
  }

  size(n: number): number {
    return Math.max(1, Math.round(n * this.#scale))
  }

  ledger<T>(kind: ItemKind<T>): Ledger<T> {
    let l = this.ledgers.get(kind) as Ledger<T> | undefined
    if (!l) {
      l = new Ledger(kind)
      this.ledgers.set(kind, l as Ledger<never>)
    }
    return l
  }
}

/** The size of a quick pass's trials (CI's): a fifth of the data. */
export const QUICK_SCALE = 0.2

/**
 * Runs one trial of `scenario` with `seed`; `scale` sizes its data and kill windows (1: the full
 * trial; CI's quick pass runs a fraction).
 */
export async function runTrial(scenario: Scenario, seed: number, scale = 1): Promise<TrialResult> {
  const started = performance.now()
  const dir = mkdtempSync(path.join(os.tmpdir(), `daybook-crash-${scenario.name}-`))
  const trial = new TrialState(dir, seed, scale)
  const result: TrialResult = {
    scenario: scenario.name,
    seed,
    acknowledged: 0,
    lost: [],
    doubled: [],
    integrity: [],
    rollups: [],
    feed: [],
    settings: [],
    errors: [],
    ms: 0,
    beforeReady: false,
    dir: undefined,
  }
  const options = { dataDir: trial.dataDir, configDir: trial.configDir, aw: scenario.aw ?? false }
  let second: DaemonProcess | undefined
  try {
    await scenario.seed?.(trial)
    const follower = new FeedFollower()
    await crash(scenario, trial, options, follower, result)

    second = new DaemonProcess(options)
    const live = await second.ready().catch((err: unknown) => {
      throw new Error(`the daemon did not start again on the same data: ${(err as Error).message}`)
    })
    for (const ledger of trial.ledgers.values()) await ledger.resend(live, 100)
    const view = new StoredView(live)
    for (const ledger of trial.ledgers.values()) add(result, await checkLedger(ledger, view))
    result.feed.push(...(await checkFeed(view, follower)))
    result.settings.push(...(await trial.settings.check(live)))
    const code = await second.stop()
    if (code !== 0)
      result.errors.push(`the restarted daemon stopped with ${code}: ${second.stderr}`)
    const db = await checkDatabase(trial.dbFile, trial.times)
    result.rollups.push(...db.rollups)
    result.integrity.push(...db.integrity)
  } catch (err) {
    result.errors.push((err as Error).stack ?? String(err))
  } finally {
    await second?.kill()
    result.ms = performance.now() - started
    if (failed(result)) result.dir = dir
    else rmSync(dir, { recursive: true, force: true })
  }
  return result
}

/** The first life of the daemon: started, worked, and killed at the scenario's moment. */
async function crash(
  scenario: Scenario,
  trial: TrialState,
  options: { dataDir: string; configDir: string; aw: boolean },
  follower: FeedFollower,
  result: TrialResult,
): Promise<void> {
  const daemon = new DaemonProcess(options)
  const when = scenario.kill(trial)
  let timer: NodeJS.Timeout | undefined
  const killAfter = (ms: number) =>
    new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        trial.stopped = true
        void daemon.kill().then(resolve)
      }, ms)
    })
  let killed = when.from === 'spawn' ? killAfter(when.ms) : undefined
  let live: Live | undefined
  try {
    live = await daemon.ready()
  } catch (err) {
    if (!trial.stopped) throw err
    result.beforeReady = true
  }
  try {
    if (live) {
      killed ??= killAfter(when.ms)
      const follow = follower.follow(live, () => trial.stopped)
      await scenario.work(trial, live)
      await follow
    }
    await killed
  } finally {
    clearTimeout(timer)
    await daemon.kill()
  }
  if (!trial.stopped) result.errors.push('the workload ended before the kill')
}

function add(result: TrialResult, kind: KindResult): void {
  result.acknowledged += kind.acknowledged
  result.lost.push(...kind.lost.map((k) => `${kind.kind} ${k}`))
  result.doubled.push(...kind.doubled.map((k) => `${kind.kind} ${k}`))
  result.errors.push(...kind.refusals.map((r) => `${kind.kind}: refused: ${r}`))
}

/** Per scenario: trials, acknowledged items, lost, doubled, integrity, and time. */
export function table(results: readonly TrialResult[]): string {
  const rows = [
    '| scenario | trials | killed before ready | killed before any answer | acknowledged items | lost | doubled | integrity | rollups = reference | feed | settings | other failures | time |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- | ---: | ---: |',
  ]
  const by = Map.groupBy(results, (r) => r.scenario)
  const line = (name: string, rs: readonly TrialResult[]) => {
    const count = (f: (r: TrialResult) => unknown[]) => rs.reduce((n, r) => n + f(r).length, 0)
    const okOf = (f: (r: TrialResult) => unknown[]) => {
      const bad = rs.filter((r) => f(r).length > 0).length
      return bad === 0 ? 'ok' : `${bad} failed`
    }
    const seconds = rs.reduce((s, r) => s + r.ms, 0) / 1000
    rows.push(
      `| ${name} | ${rs.length} | ${rs.filter((r) => r.beforeReady).length} | ${rs.filter((r) => !r.beforeReady && r.acknowledged === 0).length} | ${rs.reduce((n, r) => n + r.acknowledged, 0)} | ${count((r) => r.lost)} | ${count((r) => r.doubled)} | ${okOf((r) => r.integrity)} | ${okOf((r) => r.rollups)} | ${okOf((r) => r.feed)} | ${okOf((r) => r.settings)} | ${count((r) => r.errors)} | ${seconds.toFixed(0)} s |`,
    )
  }
  for (const [name, rs] of by) line(name, rs)
  if (by.size > 1) line('**all**', results)
  return rows.join('\n')
}

/** What went wrong in a failed trial, with what it takes to run it again. */
export function describeFailure(r: TrialResult): string {
  const parts = [
    `${r.scenario}, seed ${r.seed}${r.dir ? `, data kept in ${r.dir}` : ''}` +
      ` (again: npm run crash -- --scenario ${r.scenario} --seed ${r.seed} --trials 1)`,
  ]
  const list = (what: string, items: string[]) => {
    if (items.length > 0)
      parts.push(
        `  ${what}: ${items.slice(0, 10).join('; ')}${items.length > 10 ? ` (+${items.length - 10})` : ''}`,
      )
  }
  list('lost', r.lost)
  list('doubled', r.doubled)
  list('integrity', r.integrity)
  list('rollups', r.rollups)
  list('feed', r.feed)
  list('settings', r.settings)
  list('errors', r.errors)
  return parts.join('\n')
}
