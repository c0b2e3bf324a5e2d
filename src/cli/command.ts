/**
 * What every subcommand is, and the one error type that ends a command with a clear line.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'

/** A failure to report as one line on stderr, with a non-zero exit and no stack trace. */
export class CliError extends Error {
  readonly exitCode: number
  /** Also print the command's usage line (a flag it does not know). */
  readonly showUsage: boolean

  constructor(message: string, exitCode = 1, showUsage = false) {
    super(message)
    this.exitCode = exitCode
    this.showUsage = showUsage
  }
}

export interface Command {
  name: string
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
    // node:util's messages explain `--` escaping at length; one plain line is enough here.
    const e = err as Error & { code?: string }
    const option = /'(-[^']*)'/.exec(e.message)?.[1]
    const message =
      e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option !== undefined
        ? `unknown option ${option}`
        : e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option !== undefined
          ? `option ${option.split(' ')[0] ?? option} needs a value`
          : e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
            ? `unexpected argument ${/'([^']*)'/.exec(e.message)?.[1] ?? ''}`.trimEnd()
            : (e.message.split('. ')[0] ?? e.message)
    throw new CliError(message, 2, true)
  }
}
