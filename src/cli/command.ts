/**
 * What every subcommand is, and the one error type that ends a command with a clear line.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'

/** A failure to report as one line on stderr, with a non-zero exit and no stack trace. */
export class CliError extends Error {
  readonly exitCode: number

  constructor(message: string, exitCode = 1) {
    super(message)
    this.exitCode = exitCode
  }
}

export interface Command {
  name: string
  /** One line for `daybook --help`. */
  summary: string
  /** The full `daybook <name> --help` text. */
  help: string
  /** Runs the command; resolves to the exit code. */
  run(argv: string[], env: NodeJS.ProcessEnv): Promise<number>
}

/** `parseArgs` that turns unknown or malformed flags into a `CliError` naming the command. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true })
  } catch (err) {
    throw new CliError(`${(err as Error).message} (see daybook ${command} --help)`, 2)
  }
}

/** A port number from a flag or env var. */
export function parsePort(value: string, source: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n > 65_535) {
    throw new CliError(
      `${source} must be a port number from 0 to 65535, got ${JSON.stringify(value)}`,
      2,
    )
  }
  return n
}
