import { encodeData, type DefaultEvents, type EventArgs, type EventMap, type EventName } from '@org/realtime-core'
import type { BroadcastPacket } from './adapter.js'
import type { MaybePromise } from './history.js'

/** Hands a packet to the adapter; answers the offsets it assigned. */
type Send = (packet: BroadcastPacket) => MaybePromise<readonly number[]>

let makeOperator: (send: Send, rooms?: readonly string[], except?: readonly string[]) => BroadcastOperator<any>

/**
 * Targets a broadcast: `to` adds rooms, `except` leaves rooms or connection ids out, `emit`
 * sends. Each call returns a new operator, so one can be kept and reused. `EmitEvents` types what
 * `emit` sends (see `EventMap`; the server's third type parameter).
 */
export class BroadcastOperator<EmitEvents extends EventMap<EmitEvents> = DefaultEvents> {
  readonly #send: Send
  readonly #rooms: readonly string[]
  readonly #except: readonly string[]

  static {
    makeOperator = (send, rooms, except) => new BroadcastOperator(send, rooms, except)
  }

  /** Obtained from `RealtimeServer.to` or `Connection.to`. */
  private constructor(send: Send, rooms: readonly string[] = [], except: readonly string[] = []) {
    this.#send = send
    this.#rooms = rooms
    this.#except = except
  }

  /** Adds `room` (or several) to the targets. With no room at all, `emit` reaches every connection. */
  to(room: string | readonly string[]): BroadcastOperator<EmitEvents> {
    return new BroadcastOperator<EmitEvents>(this.#send, [...this.#rooms, ...asList(room)], this.#except)
  }

  /** Leaves out the members of `room` (or several), or connections by id. */
  except(roomOrId: string | readonly string[]): BroadcastOperator<EmitEvents> {
    return new BroadcastOperator<EmitEvents>(this.#send, this.#rooms, [...this.#except, ...asList(roomOrId)])
  }

  /**
   * Sends `event` with `data` to every targeted connection, once each, on every node. The data
   * is encoded once, before it is kept in history or sent. Resolves with the offset the event got
   * in each targeted room, in order (empty for a broadcast to everyone, or without history); with
   * the memory adapter it is already sent when `emit` returns. Awaiting is optional: a failure of
   * a networked adapter is logged by the server even when nobody awaits it.
   * @throws RealtimeError `INVALID_PAYLOAD` when `data` cannot be encoded as JSON (nothing is
   * kept or sent then).
   */
  emit<E extends EventName<EmitEvents>>(event: E, ...args: EventArgs<EmitEvents, E>): Promise<readonly number[]> {
    const data: unknown = args[0]
    const sent = this.#send({ event, json: encodeData(data), rooms: this.#rooms, except: this.#except })
    return Promise.resolve(sent)
  }
}

function asList(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value
}

/** An operator that hands its packets to `send`, leaving out `except`; not exported from the package. */
export function broadcastOperator<EmitEvents extends EventMap<EmitEvents> = DefaultEvents>(send: Send, except?: readonly string[]): BroadcastOperator<EmitEvents> {
  return makeOperator(send, [], except)
}
