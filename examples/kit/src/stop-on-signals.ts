/**
 * For an example's `pnpm start`: on SIGINT or SIGTERM, runs `before` (a demo client's
 * disconnect…), closes `server`, and exits with 0, or 1 when closing failed.
 * @param before what to stop first. @default nothing
 */
export function stopOnSignals(server: { close(): Promise<void> }, before?: () => void): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      before?.()
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      )
    })
  }
}
