import { ErrorCode, RESERVED_EVENTS, RealtimeError, encodeData } from '@org/realtime-core'
import type { BroadcastPacket } from './adapter.js'

/**
 * Targets a broadcast: `to` adds rooms, `except` leaves rooms or connection ids out, `emit`
 * sends. Each call returns a new operator, so one can be kept and reused.
 */
export class BroadcastOperator {
  readonly #send: (packet: BroadcastPacket) => void
  readonly #rooms: readonly string[]
  readonly #except: readonly string[]

  /** @internal Obtained from `RealtimeServer.to` or `Connection.to`. */
  constructor(send: (packet: BroadcastPacket) => void, rooms: readonly string[] = [], except: readonly string[] = []) {
    this.#send = send
    this.#rooms = rooms
    this.#except = except
  }

  /** Adds `room` (or several) to the targets. With no room at all, `emit` reaches every connection. */
  to(room: string | readonly string[]): BroadcastOperator {
    return new BroadcastOperator(this.#send, [...this.#rooms, ...asList(room)], this.#except)
  }

  /** Leaves out the members of `room` (or several), or connections by id. */
  except(roomOrId: string | readonly string[]): BroadcastOperator {
    return new BroadcastOperator(this.#send, this.#rooms, [...this.#except, ...asList(roomOrId)])
  }

  /**
   * Sends `event` with `data` to every targeted connection, once each, on every node. The data
   * is encoded once, before it is kept in history or sent.
   * @throws RealtimeError `RESERVED_EVENT` for a lifecycle event name such as `connect`;
   * `INVALID_PAYLOAD` when `data` cannot be encoded as JSON (nothing is kept or sent then).
   */
  emit(event: string, data?: unknown): void {
    assertEmittable(event)
    this.#send({ event, json: encodeData(data), rooms: this.#rooms, except: this.#except })
  }
}

/** @internal Refuses event names the client reserves for its own lifecycle. */
export function assertEmittable(event: string): void {
  if (RESERVED_EVENTS.has(event)) throw new RealtimeError(ErrorCode.ReservedEvent, `"${event}" is a reserved event name`)
}

function asList(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value
}
