import type { MaybePromise } from './storage.js'

/** Whether `value` is a promise (or any thenable) rather than the value itself. */
export function isThenable<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}
