import { silentLogger, type Logger } from '@org/realtime-core'

const write = (level: string, message: string, context?: Record<string, unknown>): void => {
  const error = context?.['error']
  const detail = error instanceof Error ? `\n${error.stack ?? error.message}` : ''
  globalThis.process?.stderr?.write(`[@org/realtime-ot] ${level}: ${message}${detail}\n`)
}

/** The `logger` option as a logger: warnings and errors to standard error by default, nothing for `false`. */
export function loggerOf(option: Logger | false | undefined): Logger {
  if (option === false) return silentLogger
  return option ?? { ...silentLogger, warn: (m, c) => write('warn', m, c), error: (m, c) => write('error', m, c) }
}
