/**
 * Reads a command's settings (`settings.ts`) from its flags and the environment, once: for each,
 * the first of its flags and variables that is set, else its default; each value checked against
 * the schema. A bad value is refused with one line that names where it came from and every other
 * flag or variable that sets the same thing.
 */
import path from 'node:path'
import type { TSchema } from '#typebox'
import Schema from '#typebox/schema'
import {
  COMMAND_SETTINGS,
  type ConfiguredCommand,
  DEFAULTS,
  type SettingName,
  type SettingSchema,
  type Settings,
  type SettingsOf,
  settingSchema,
} from './settings.ts'

/** A setting that cannot be used: one line for the user, exit code 2 (a usage error). */
export class ConfigError extends Error {
  readonly exitCode = 2
}

/** Flags as `node:util`'s `parseArgs` returns them, keyed without the dashes. */
export type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>

/** The `parseArgs` options of a command's flags, from the schema. */
export function flagOptions(
  command: ConfiguredCommand,
): Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {}
  for (const name of COMMAND_SETTINGS[command]) {
    const schema = settingSchema(name)
    for (const source of schema.from) {
      if (!source.startsWith('--')) continue
      options[source.slice(2)] =
        schema.type === 'boolean'
          ? { type: 'boolean' }
          : schema.type === 'array'
            ? { type: 'string', multiple: true }
            : { type: 'string' }
    }
  }
  return options
}

/** Reads and checks every setting of `command`; throws `ConfigError` for the first bad one. */
export function readSettings<C extends ConfiguredCommand>(
  command: C,
  flags: FlagValues,
  env: NodeJS.ProcessEnv,
): SettingsOf<C> {
  const read: Partial<Settings> = {}
  for (const name of COMMAND_SETTINGS[command]) {
    Object.assign(read, { [name]: readOne(name, flags, env, read) })
  }
  return read as SettingsOf<C>
}

/**
 * One setting by the same rule, for code that reads no other: e.g. the data dir a client looks in
 * (`readSetting('dataDir', { 'data-dir': flag }, env)`).
 */
export function readSetting<K extends SettingName>(
  name: K,
  flags: FlagValues,
  env: NodeJS.ProcessEnv,
): Settings[K] {
  return readOne(name, flags, env, {}) as Settings[K]
}

function readOne(
  name: SettingName,
  flags: FlagValues,
  env: NodeJS.ProcessEnv,
  read: Partial<Settings>,
): unknown {
  const schema = settingSchema(name)
  for (const source of schema.from) {
    // An empty variable counts as unset, as shells make it easy to leave one so.
    const raw = source.startsWith('--') ? flags[source.slice(2)] : env[source] || undefined
    if (raw !== undefined) return resolved(schema, parse(schema, source, raw))
  }
  const fallback: unknown =
    schema.default !== undefined ? structuredClone(schema.default) : DEFAULTS[name]?.(env, read)
  return resolved(schema, fallback)
}

function resolved(schema: SettingSchema, value: unknown): unknown {
  return schema.path === true && typeof value === 'string' ? path.resolve(value) : value
}

/** A flag's or variable's text as the setting's type, checked against the schema. */
function parse(schema: SettingSchema, source: string, raw: unknown): unknown {
  if (schema.type === 'boolean') {
    if (raw === true) return true
    const text = String(raw).trim().toLowerCase()
    if (text === 'true' || text === '1') return true
    if (text === 'false' || text === '0') return false
    throw refusal(schema, source, raw)
  }
  if (schema.type === 'array') {
    // A repeatable flag gives a list; a variable is comma-separated.
    const items = Array.isArray(raw)
      ? raw.map(String)
      : String(raw)
          .split(',')
          .filter((item) => item.trim() !== '')
    for (const item of items) {
      if (schema.items !== undefined && !Schema.Check(schema.items, item)) {
        throw refusal(schema, source, item)
      }
    }
    return items
  }
  const text = String(raw)
  if (schema.type === 'integer') {
    const n = Number(text)
    if (!/^\d+$/.test(text) || !Schema.Check(schema as TSchema, n))
      throw refusal(schema, source, text)
    return n
  }
  if (!Schema.Check(schema as TSchema, text)) throw refusal(schema, source, text)
  return text
}

function refusal(schema: SettingSchema, source: string, raw: unknown): ConfigError {
  const sources = schema.from
  const where =
    sources.length > 1
      ? ` (read from ${sources.slice(0, -1).join(', ')} or ${sources[sources.length - 1] ?? ''})`
      : ''
  return new ConfigError(
    `${source} must be ${schema.expected ?? 'valid'}, got ${JSON.stringify(raw)}${where}`,
  )
}
