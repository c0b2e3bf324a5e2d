/**
 * The one schema of settings (src/config/settings.ts) and its reader (load.ts): every flag and
 * variable is documented, a bad value names where it came from and what else sets it, and the
 * rule of precedence is the same for every setting.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import { migrateCommand } from '../../src/cli/migrate.ts'
import { serveCommand } from '../../src/cli/serve.ts'
import { wakatimeCommand } from '../../src/cli/wakatime.ts'
import { watchCommand } from '../../src/cli/watch.ts'
import { daemonConfig } from '../../src/config/daemon-config.ts'
import { ConfigError, readSetting, readSettings } from '../../src/config/load.ts'
import {
  COMMAND_SETTINGS,
  type ConfiguredCommand,
  type SettingName,
  settingSchema,
} from '../../src/config/settings.ts'

const HELP: Record<ConfiguredCommand, string> = {
  serve: serveCommand.help,
  watch: watchCommand.help,
  migrate: migrateCommand.help,
  wakatime: wakatimeCommand.help,
}
const README = readFileSync(path.join(import.meta.dirname, '..', '..', 'README.md'), 'utf8')
const commands = Object.keys(COMMAND_SETTINGS) as ConfiguredCommand[]
const isFlag = (source: string) => source.startsWith('--')

/** A value each setting refuses, by its schema; undefined where none can be refused. */
function badValue(name: SettingName): string | undefined {
  const schema = settingSchema(name) as ReturnType<typeof settingSchema> & {
    enum?: unknown[]
    format?: string
    items?: { format?: string }
  }
  if (schema.type === 'integer') return 'twelve'
  if (schema.type === 'boolean') return 'maybe'
  if (schema.enum !== undefined) return 'none-of-these'
  if (schema.type === 'array' && schema.items?.format !== undefined) return '*'
  if (schema.type === 'string' && schema.format !== undefined) return 'ftp://x'
  return undefined
}

describe('the settings schema', () => {
  test('every flag and variable of a command is in its --help; every variable in the README', () => {
    for (const command of commands) {
      for (const name of COMMAND_SETTINGS[command]) {
        for (const source of settingSchema(name).from) {
          assert.ok(HELP[command].includes(source), `${command} --help does not name ${source}`)
          if (!isFlag(source)) assert.ok(README.includes(source), `README does not name ${source}`)
        }
      }
    }
  })

  test('a bad value from any flag or variable is refused with one line naming all of them', () => {
    let checked = 0
    for (const command of commands) {
      for (const name of COMMAND_SETTINGS[command]) {
        const { from, expected } = settingSchema(name)
        const bad = badValue(name)
        if (bad === undefined) continue
        for (const source of from) {
          const [flags, env] = isFlag(source)
            ? [{ [source.slice(2)]: bad }, {}]
            : [{}, { [source]: bad }]
          assert.throws(
            () => readSettings(command, flags, env),
            (err: unknown) => {
              assert.ok(err instanceof ConfigError, String(err))
              assert.equal(err.exitCode, 2)
              assert.ok(
                err.message.startsWith(`${source} must be ${expected ?? ''}, got "${bad}"`),
                err.message,
              )
              // Where else the same setting comes from, so the user finds the one that is set.
              for (const other of from) assert.ok(err.message.includes(other), err.message)
              assert.equal(err.message.includes('\n'), false)
              return true
            },
          )
          checked++
        }
      }
    }
    assert.ok(checked > 30, `only ${checked} refusals checked`)
  })

  test('for every setting, a flag beats a variable, which beats the default', () => {
    for (const command of commands) {
      for (const name of COMMAND_SETTINGS[command]) {
        const { from } = settingSchema(name)
        const flag = from.find(isFlag)
        const variable = from.find((s) => !isFlag(s))
        if (flag === undefined || variable === undefined) continue
        // DAYBOOK_KEY is meant to beat --key: a key in the environment is not in the process list.
        const variableFirst = from.indexOf(variable) < from.indexOf(flag)
        const v = valuesFor(name)
        const both = readSetting(name, { [flag.slice(2)]: v.flag }, { [variable]: v.variable })
        assert.deepEqual(both, variableFirst ? v.fromVariable : v.fromFlag, `${name}: both`)
        assert.deepEqual(readSetting(name, {}, { [variable]: v.alone }), v.fromAlone, name)
        assert.notDeepEqual(readSetting(name, {}, {}), v.fromAlone, `${name}: the default`)
      }
    }
  })

  test("a spoke's retry cap (DAYBOOK_SYNC_RETRY_MAX_SEC) reaches the daemon's config", () => {
    const config = (env: Record<string, string>) => daemonConfig(readSettings('serve', {}, env))
    assert.equal(config({}).syncRetryMaxMs, 10_000)
    assert.equal(config({ DAYBOOK_SYNC_RETRY_MAX_SEC: '1' }).syncRetryMaxMs, 1000)
  })

  test('an empty variable counts as unset', () => {
    assert.equal(readSetting('port', {}, { DAYBOOK_PORT: '', PORT: '3000' }), 3000)
    assert.equal(readSetting('token', {}, { DAYBOOK_TOKEN: '' }), undefined)
  })
})

/**
 * Good values of a setting as text: from a flag, from a variable (different, so that which one
 * won shows), and from a variable alone (different from the default); and what each reads as.
 */
function valuesFor(name: SettingName) {
  const schema = settingSchema(name) as ReturnType<typeof settingSchema> & {
    enum?: string[]
    format?: string
    items?: { format?: string }
  }
  const text = (flag: string, variable: string, read = (v: string): unknown => v) => ({
    flag,
    variable,
    alone: variable,
    fromFlag: read(flag),
    fromVariable: read(variable),
    fromAlone: read(variable),
  })
  if (schema.type === 'integer') return text('101', '202', Number)
  // A boolean flag can only say true; the variable says false, then true alone.
  if (schema.type === 'boolean') {
    return {
      flag: true,
      variable: 'false',
      alone: 'true',
      fromFlag: true,
      fromVariable: false,
      fromAlone: true,
    }
  }
  if (schema.enum !== undefined) {
    // Two values unlike the default where there are, else the other one and the default.
    const fallback = String(schema.default)
    const [a = '', b = fallback] = schema.enum.filter((v) => v !== fallback)
    return { flag: a, variable: b, alone: a, fromFlag: a, fromVariable: b, fromAlone: a }
  }
  if (schema.type === 'array') {
    const [a, b] =
      schema.items?.format === 'daybook-origin'
        ? ['http://a.test', 'http://b.test']
        : ['a.test', 'b.test']
    return { ...text(a, b, (v) => [v]), flag: [a] }
  }
  if (schema.path === true) return text('/flag/dir', '/variable/dir', (v) => path.resolve(v))
  if (schema.format === 'daybook-postgres-url') {
    return text('postgres://flag.test/daybook', 'postgresql://variable.test:5433/daybook')
  }
  return text('http://flag.test', 'http://variable.test')
}
