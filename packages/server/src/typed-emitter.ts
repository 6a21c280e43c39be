import { EventEmitter } from 'eventemitter3'

/** A map from event name to listener signature, of a {@link TypedEmitter}. */
export type ListenerMap = { [event: string]: (...args: any[]) => void }

/**
 * A strongly typed event emitter built on eventemitter3.
 * Listener exceptions propagate to the caller of `emit`, as with Node's emitter.
 */
export class TypedEmitter<Events extends ListenerMap> {
  readonly #emitter = new EventEmitter()

  /** Adds `listener` for `event`. */
  on<K extends keyof Events & string>(event: K, listener: Events[K]): this {
    this.#emitter.on(event, listener)
    return this
  }

  /** Adds `listener` for the next `event` only. */
  once<K extends keyof Events & string>(event: K, listener: Events[K]): this {
    this.#emitter.once(event, listener)
    return this
  }

  /** Removes `listener`, or every listener of `event` when `listener` is omitted. */
  off<K extends keyof Events & string>(event: K, listener?: Events[K]): this {
    this.#emitter.off(event, listener)
    return this
  }

  /** Number of listeners of `event`. */
  listenerCount(event: keyof Events & string): number {
    return this.#emitter.listenerCount(event)
  }

  /** Calls every listener of `event` with `args`; returns whether there was one. */
  protected emitLocal<K extends keyof Events & string>(event: K, ...args: Parameters<Events[K]>): boolean {
    return this.#emitter.emit(event, ...args)
  }
}
