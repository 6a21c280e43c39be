/** Where packages send their diagnostics. Every method is optional in spirit: pass `console` or a pino/winston logger. */
export interface Logger {
  debug(message: string, context?: Record<string, unknown>): void
  info(message: string, context?: Record<string, unknown>): void
  warn(message: string, context?: Record<string, unknown>): void
  error(message: string, context?: Record<string, unknown>): void
}

const ignore = (): void => {}

/** A logger that drops everything: the default of every package. */
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore }
