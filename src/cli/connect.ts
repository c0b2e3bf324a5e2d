/**
 * How CLI commands find the daemon: flags shared by every command that talks to it.
 */
import { ApiError, DaybookClient, UnreachableError } from '../client/client.ts'
import { CliError } from './command.ts'

/** Help text for the connection flags. */
export const clientFlags = `  --data-dir DIR  Find the daemon through DIR/daemon.json        [DAYBOOK_DATA_DIR]
  --config-dir DIR  Read the token from DIR/auth.token            [DAYBOOK_CONFIG_DIR]
  --url URL       Talk to the daemon at URL instead (token: DAYBOOK_TOKEN or the token file)`

/** The connection flags, for `parseFlags`: spread into a command's own. */
export const CLIENT_FLAGS = {
  'data-dir': { type: 'string' },
  'config-dir': { type: 'string' },
  url: { type: 'string' },
} as const

/** A client for the daemon the flags and environment point at. */
export function connect(
  values: {
    'data-dir'?: string | undefined
    'config-dir'?: string | undefined
    url?: string | undefined
  },
  env: NodeJS.ProcessEnv,
): DaybookClient {
  return DaybookClient.local({
    dataDir: values['data-dir'],
    configDir: values['config-dir'],
    url: values.url,
    env,
  })
}

/** Runs a request, turning the daemon's refusals into one clear line (with their stable code). */
export async function ask<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send()
  } catch (err) {
    if (err instanceof UnreachableError) throw new CliError(err.message)
    if (err instanceof ApiError) {
      throw new CliError(`the daemon refused: ${err.message} (${err.code})`)
    }
    throw err
  }
}
