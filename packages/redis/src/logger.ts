import type { Logger } from '@org/realtime-core'

const ignore = (): void => {}

/** Writes one line to stderr, with the context as JSON (errors with their stack). */
function line(level: string, message: string, context?: Record<string, unknown>): void {
  const extra = context === undefined ? '' : ` ${JSON.stringify(context, (_key, value: unknown) => (value instanceof Error ? value.stack ?? value.message : value))}`
  process.stderr.write(`[realtime-redis] ${level}: ${message}${extra}\n`)
}

/** Warnings and errors to stderr; debug and info nowhere. */
const stderrLogger: Logger = {
  debug: ignore,
  info: ignore,
  warn: (message, context) => line('warn', message, context),
  error: (message, context) => line('error', message, context),
}

const silent: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore }

/** The logger to use for the `logger` option. */
export function loggerOf(option: Logger | false | undefined): Logger {
  if (option === false) return silent
  return option ?? stderrLogger
}
