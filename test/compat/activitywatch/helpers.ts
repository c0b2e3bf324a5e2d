/**
 * The ActivityWatch app beside the real Daybook app, sharing its store and services (as
 * `daybook serve --aw` runs them), with an admin token and a read-only key.
 */
import { after, type TestContext } from 'node:test'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { buildAwApp } from '../../../src/api/compat/activitywatch/app.ts'
import { StaticKeyAuthenticator } from '../../../src/auth/default-token.ts'
import { AuthenticatorChain } from '../../../src/domain/access.ts'
import { type TestApp, startApp } from '../../helpers.ts'

export const READ_KEY = 'read-only-key-for-activitywatch-tests'
export const INGEST_KEY = 'ingest-key-for-activitywatch-tests'

export interface AwTestApp {
  main: TestApp
  aw: FastifyInstance
  /** Injects with `Host: 127.0.0.1:5600` and no token. */
  anon: (opts: InjectOptions) => Promise<LightMyRequestResponse>
  /** Injects with the admin token. */
  admin: (opts: InjectOptions) => Promise<LightMyRequestResponse>
}

export async function startAw(
  t: TestContext,
  options: { now?: number; open?: boolean } = {},
): Promise<AwTestApp> {
  const main = await startApp(t, {
    ...(options.now === undefined ? {} : { now: options.now }),
    keys: { [READ_KEY]: 'read_only', [INGEST_KEY]: 'ingest' },
  })
  const aw = await buildAwApp({
    daybook: main.app.daybook,
    authenticator: new AuthenticatorChain([
      new StaticKeyAuthenticator(() => main.token),
      new StaticKeyAuthenticator(() => READ_KEY, { tokenId: 'read', scope: 'read_only' }),
      new StaticKeyAuthenticator(() => INGEST_KEY, { tokenId: 'ingest', scope: 'ingest' }),
    ]),
    open: options.open ?? false,
  })
  t.after(() => aw.close())
  const anon = (opts: InjectOptions) =>
    aw.inject({ ...opts, headers: { host: '127.0.0.1:5600', ...opts.headers } })
  const admin = (opts: InjectOptions) =>
    anon({ ...opts, headers: { authorization: `Bearer ${main.token}`, ...opts.headers } })
  return { main, aw, anon, admin }
}

/**
 * A context for a suite-wide app started in `before()`: what it registers with `after` runs
 * when the suite ends (in reverse order). Call it in the `describe` body, not in a hook.
 */
export function suiteContext(): TestContext {
  const cleanups: (() => unknown)[] = []
  after(async () => {
    for (const fn of cleanups.reverse()) await fn()
  })
  return { after: (fn: () => unknown) => cleanups.push(fn) } as unknown as TestContext
}
