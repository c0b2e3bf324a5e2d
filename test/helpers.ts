/**
 * Test harness: the real app on a real SQLite file in a fresh temp dir, torn down after the test.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import os from 'node:os'
import path from 'node:path'
import { type TestContext, after } from 'node:test'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import type { BuildAppOptions, DaybookApp } from '../src/api/app.ts'
import type { Scope } from '../src/domain/access.ts'
import { defaultDeviceName } from '../src/config/device.ts'

/** Where clean-ups go: a test's context, or a file's (`fileScope`). */
export type TestScope = Pick<TestContext, 'after'>

/**
 * A scope for what a whole file shares (a daemon its tests only read, a browser): what is
 * registered on it is undone once every test of the file has run. Call it at the top of the file
 * (or in a `describe`'s body: then once the suite's tests have run).
 */
export function fileScope(): TestScope {
  const cleanups: (() => unknown)[] = []
  after(async () => {
    for (const fn of cleanups.reverse()) await fn()
  })
  return {
    after: (fn) => {
      if (fn) cleanups.push(fn as () => unknown)
    },
  }
}

/** A fresh temp dir removed when the test (or the scope) ends. */
export function tempDir(t: TestScope, prefix = 'daybook-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export interface TestApp {
  app: DaybookApp
  /** The default admin token as the app started (refresh replaces it). */
  token: string
  dir: string
  dbFile: string
  /** The default token's file (0600, in a 0700 dir under `dir`). */
  tokenFile: string
  /** Sets the time the daemon sees (epoch ms). */
  setNow: (ms: number) => void
  /** Injects a request with the current default admin token. */
  call: (opts: InjectOptions) => Promise<LightMyRequestResponse>
}

export type StartOptions = {
  now?: number
  /** A data dir an app used before (a restart): its database and token file are reused. */
  dir?: string
  /** Tokens of other scopes beside the admin token: secret → scope. */
  keys?: Record<string, Scope>
  /** A PostgreSQL database URL (`freshDatabase`) to keep the diaries in instead of SQLite. */
  postgres?: string
} & Partial<Omit<BuildAppOptions, 'store' | 'authenticator' | 'clock' | 'defaultToken'>>

/**
 * Starts the app on a migrated SQLite file with a default token file; `now` fixes the daemon's
 * clock, `keys` adds fixed keys of other scopes, the other options go to `buildApp`.
 */
export async function startApp(t: TestScope, options: StartOptions = {}): Promise<TestApp> {
  const { now: start, keys, dir: reused, postgres, ...appOptions } = options
  // Loaded here, not with this module: the files that only start daemons or run the CLI (a
  // process each) would load the whole API for nothing, some half a second of CPU apiece.
  const [{ buildApp }, { AuthenticatorChain }, tokens, { openStore }] = await Promise.all([
    import('../src/api/app.ts'),
    import('../src/domain/access.ts'),
    import('../src/auth/default-token.ts'),
    import('../src/store/open.ts'),
  ])
  const { StaticKeyAuthenticator, ensureDefaultToken, fileDefaultToken } = tokens
  const dir = reused ?? tempDir(t)
  const dbFile = path.join(dir, 'daybook.db')
  // Reads on the writer: one worker per test app keeps the suite light.
  const store = await openStore(
    postgres === undefined
      ? { driver: 'sqlite', file: dbFile, readers: 0 }
      : { driver: 'postgres', url: postgres, poolSize: 4 },
  )
  await store.migrate()
  const tokenFile = path.join(dir, 'config', 'auth.token')
  const defaultToken = fileDefaultToken(tokenFile, ensureDefaultToken(tokenFile))
  let now = start ?? Date.now()
  const app = await buildApp({
    ...appOptions,
    store,
    authenticator: new AuthenticatorChain([
      new StaticKeyAuthenticator(() => defaultToken.current()),
      ...Object.entries(keys ?? {}).map(
        ([secret, scope]) => new StaticKeyAuthenticator(() => secret, { tokenId: secret, scope }),
      ),
    ]),
    defaultToken,
    clock: () => now,
  })
  t.after(() => app.close())
  return {
    app,
    token: defaultToken.current(),
    dir,
    dbFile,
    tokenFile,
    setNow: (ms) => {
      now = ms
    },
    call: (opts) =>
      app.inject({
        ...opts,
        headers: { authorization: `Bearer ${defaultToken.current()}`, ...opts.headers },
      }),
  }
}

/**
 * One app for the tests of a `describe` that change nothing (a table of refused requests): started
 * by the first that asks, closed when the suite's tests have run. Call it in the `describe`'s body.
 * An app costs about a third of a second of CPU to start; a table of twenty would start twenty.
 */
export function sharedApp(
  start: (scope: TestScope) => Promise<TestApp> = (scope) => startApp(scope),
): () => Promise<TestApp> {
  const scope = fileScope()
  let app: Promise<TestApp> | undefined
  return () => (app ??= start(scope))
}

/** The name of the daemon's own device in a fresh database. */
export const OWN_DEVICE = defaultDeviceName()

/** A Skopio `EventInput` with every field, overridable. */
export function eventInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    timestamp: '2025-09-11T12:34:56Z',
    end_timestamp: '2025-09-11T12:36:56Z',
    duration: 120,
    category: 'Coding',
    app_name: 'Code',
    entity_name: 'main.rs',
    entity_type: 'File',
    project_name: 'skopio',
    project_path: '/home/me/skopio',
    branch_name: 'main',
    language_name: 'Rust',
    source_name: 'skopio-vscode',
    ...overrides,
  }
}

/** Row count of `table`, read through a separate read-only connection (what is committed). */
export function countRows(dbFile: string, table: string): number {
  const reader = new DatabaseSync(dbFile, { readOnly: true })
  try {
    return (reader.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
  } finally {
    reader.close()
  }
}
