import type { EventMiddleware, IncomingEvent } from '../hooks.js'

/** Runs `middleware` in order around `last`, Koa style. */
export function runMiddleware<TData>(
  middleware: readonly EventMiddleware<TData>[],
  event: IncomingEvent<TData>,
  last: () => Promise<void>,
): Promise<void> {
  const step = async (index: number): Promise<void> => {
    const current = middleware[index]
    if (current === undefined) return last()
    let called = false
    await current(event, () => {
      if (called) throw new Error('next() called twice')
      called = true
      return step(index + 1)
    })
  }
  return step(0)
}
