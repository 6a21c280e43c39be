import { formatWithOptions } from 'node:util'
import { silentLogger, type Logger } from '@org/realtime-core'

/** Writes one line (and an error's stack) to the process's standard error. */
function write(level: string, message: string, context: Record<string, unknown> | undefined): void {
  const details = context === undefined ? '' : ` ${formatWithOptions({ depth: 4, breakLength: Infinity }, '%O', context)}`
  process.stderr.write(`[realtime] ${level}: ${message}${details}\n`)
}

/**
 * The server's logger when the app names none: warnings and errors (with the stack of an `error`
 * in their context) go to standard error, so a failing handler is never invisible; debug and info
 * are dropped. `logger: false` drops everything.
 */
export const stderrLogger: Logger = {
  debug() {},
  info() {},
  warn: (message, context) => write('warn', message, context),
  error: (message, context) => write('error', message, context),
}

/** The logger for the server's `logger` option: the app's, none for `false`, else {@link stderrLogger}. */
export function loggerOf(option: Logger | false | undefined): Logger {
  if (option === false) return silentLogger
  return option ?? stderrLogger
}
