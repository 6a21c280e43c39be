import type { MaybePromise } from '../history.js'
import { isThenable } from './is-thenable.js'

/**
 * `next(value)`, at once when `value` is there, after it resolves when it is a promise: the memory
 * adapter's answers keep the synchronous path (and its speed), a networked store's wait.
 */
export function chain<T, U>(value: MaybePromise<T>, next: (resolved: T) => MaybePromise<U>): MaybePromise<U> {
  return isThenable(value) ? Promise.resolve(value).then(next) : next(value)
}

/** Every value of `values`, at once when none is a promise. */
export function allOf<T>(values: ReadonlyArray<MaybePromise<T>>): MaybePromise<T[]> {
  return values.some(isThenable) ? Promise.all(values) : (values as T[])
}
