import type { Logger } from '@org/realtime-server'

const ignore = (): void => undefined

function write(level: string, message: string, context?: Record<string, unknown>): void {
  const error = context?.error
  const detail = error instanceof Error ? `\n${error.stack ?? error.message}` : error === undefined ? '' : ` ${String(error)}`
  process.stderr.write(`[realtime-postgres] ${level}: ${message}${detail}\n`)
}

/** Warnings and errors (with their stack) to stderr. */
export const defaultLogger: Logger = {
  debug: ignore,
  info: ignore,
  warn: (message, context) => write('warn', message, context),
  error: (message, context) => write('error', message, context),
}
