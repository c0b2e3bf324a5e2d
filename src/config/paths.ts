/**
 * Where Daybook keeps things on each platform. Data (the database, the socket, the discovery
 * file) goes in the platform's data dir; the default token in its config dir.
 */
import os from 'node:os'
import path from 'node:path'

type Env = Record<string, string | undefined>

/** `~/.local/share/daybook` (XDG), `~/Library/Application Support/daybook`, `%LOCALAPPDATA%\daybook`. */
export function defaultDataDir(env: Env = process.env, platform = process.platform): string {
  const home = os.homedir()
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'daybook')
  if (platform === 'win32') {
    return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'daybook')
  }
  return path.join(nonEmpty(env.XDG_DATA_HOME) ?? path.join(home, '.local', 'share'), 'daybook')
}

/** `~/.config/daybook` (XDG), `~/Library/Application Support/daybook`, `%APPDATA%\daybook`. */
export function defaultConfigDir(env: Env = process.env, platform = process.platform): string {
  const home = os.homedir()
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'daybook')
  if (platform === 'win32') {
    return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'daybook')
  }
  return path.join(nonEmpty(env.XDG_CONFIG_HOME) ?? path.join(home, '.config'), 'daybook')
}

/** Files inside a data dir. */
export function dataPaths(dataDir: string) {
  return {
    database: path.join(dataDir, 'daybook.db'),
    runDir: path.join(dataDir, 'run'),
    socket: path.join(dataDir, 'run', 'daybook.sock'),
    discovery: path.join(dataDir, 'daemon.json'),
    lock: path.join(dataDir, 'daemon.lock'),
  }
}

/** The default admin token file inside a config dir. */
export function tokenFile(configDir: string): string {
  return path.join(configDir, 'auth.token')
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v
}
