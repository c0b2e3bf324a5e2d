/**
 * How CLI commands find the daemon: flags shared by every command that talks to it.
 */
import { DaybookClient } from '../client/client.ts'

/** Help text for the connection flags. */
export const clientFlags = `  --data-dir DIR  Find the daemon through DIR/daemon.json        [DAYBOOK_DATA_DIR]
  --config-dir DIR  Read the token from DIR/auth.token            [DAYBOOK_CONFIG_DIR]
  --url URL       Talk to the daemon at URL instead (token: DAYBOOK_TOKEN or the token file)`

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
