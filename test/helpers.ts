/**
 * Test harness: the real app on a real SQLite file in a fresh temp dir, torn down after the test.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import os from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { type BuildAppOptions, type DaybookApp, buildApp } from '../src/api/app.ts'
import { AuthenticatorChain, type Scope } from '../src/auth/access.ts'
import { StaticKeyAuthenticator, newSecret } from '../src/auth/default-token.ts'
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts'

/** A fresh temp dir removed when the test ends. */
export function tempDir(t: TestContext, prefix = 'daybook-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export interface TestApp {
  app: DaybookApp
  token: string
  dir: string
  dbFile: string
  /** Sets the time the daemon sees (epoch ms). */
  setNow: (ms: number) => void
  /** Injects a request with the admin token. */
  call: (opts: InjectOptions) => Promise<LightMyRequestResponse>
}

/**
 * Starts the app on a migrated SQLite file; `now` fixes the daemon's clock. `keys` adds tokens
 * of other scopes (secret → scope) beside the admin token; `build` passes more buildApp options.
 */
export async function startApp(
  t: TestContext,
  options: {
    now?: number
    keys?: Record<string, Scope>
    build?: Partial<Omit<BuildAppOptions, 'store' | 'authenticator' | 'clock'>>
  } = {},
): Promise<TestApp> {
  const dir = tempDir(t)
  const dbFile = path.join(dir, 'daybook.db')
  const store = SqliteStore.open(dbFile)
  store.migrate()
  const token = newSecret()
  let now = options.now ?? Date.now()
  const app = await buildApp({
    ...options.build,
    store,
    authenticator: new AuthenticatorChain([
      new StaticKeyAuthenticator(() => token),
      ...Object.entries(options.keys ?? {}).map(
        ([secret, scope]) => new StaticKeyAuthenticator(() => secret, { tokenId: secret, scope }),
      ),
    ]),
    clock: () => now,
  })
  t.after(() => app.close())
  return {
    app,
    token,
    dir,
    dbFile,
    setNow: (ms) => {
      now = ms
    },
    call: (opts) =>
      app.inject({ ...opts, headers: { authorization: `Bearer ${token}`, ...opts.headers } }),
  }
}

/** A seed-000 `EventInput` with every field, overridable. */
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
