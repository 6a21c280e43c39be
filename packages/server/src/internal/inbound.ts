import {
  CloseCode,
  ErrorCode,
  RealtimeError,
  decodeClientFrame,
  encodeData,
  isRealtimeError,
  type AckFrame,
  type ClientFrame,
  type ErrorPayload,
  type EventFrame,
  type PublishFrame,
  utf8Length,
} from '@org/realtime-core'
import type { Connection } from '../connection.js'
import type { EventMiddleware, IncomingEvent } from '../hooks.js'
import type { ConnectionLimiter } from '../rate-limit.js'
import { readHistory, subscribe, unsubscribe } from './channel-ops.js'
import { runMiddleware } from './compose.js'
import type { ConnectionCore } from './connection-core.js'
import { flatGet } from './flat-map.js'
import { isThenable } from './is-thenable.js'
import type { ResumableSession } from './resumable-session.js'
import { toErrorPayload } from './to-error-payload.js'

/**
 * The inbound pipeline of a server's connections: each frame a client sends is charged against
 * the connection's budgets, checked for its sequence number, and dispatched — events and
 * publishes through the event middleware to their handler or channel, with their answer; channel
 * requests to the channel operations. One per server, shared by its connections.
 */
export class Inbound<TData> {
  readonly #eventMiddleware: readonly EventMiddleware<TData>[]

  /** `eventMiddleware` is the server's list, read as it grows. */
  constructor(eventMiddleware: readonly EventMiddleware<TData>[]) {
    this.#eventMiddleware = eventMiddleware
  }

  /** A frame arrived from the client of `core`. */
  receive(core: ConnectionCore<Connection<TData>>, text: string): void {
    // Any frame answers a heartbeat; a pong is free only as the first frame after a ping.
    const pingAnswered = core.pingSentAt !== 0 && core.lastSeen < core.pingSentAt
    core.lastSeen = Date.now()
    const session = core.session
    if (session?.tokenUnproven === true) core.host.tokenReceived(core)
    let frame: ClientFrame | undefined
    let malformed: unknown
    try {
      frame = decodeClientFrame(text)
    } catch (error) {
      malformed = error
    }
    // Sequence numbers count only on a connection whose client said it resumes sessions.
    const numbered = session !== undefined && (frame?.t === 'event' || frame?.t === 'pub') && frame.s !== undefined ? frame : undefined
    const limiter = core.limiter
    if (limiter !== undefined) {
      const refusal = limiter.chargeBytes(utf8Length(text)) ?? charge(core, limiter, frame, pingAnswered)
      // An `ack` carries the server's own id: its refusal must not look like an answer to a client request.
      const id = frame !== undefined && frame.t !== 'ack' && 'id' in frame ? frame.id : undefined
      if (refusal !== undefined) return refuse(core, refusal, id, numbered)
    }
    if (frame === undefined) core.sendError(toErrorPayload(malformed))
    // A repeat of a numbered frame was handled when it first came; one that skips ahead ends the session.
    else if (numbered === undefined || inSequence(core, numbered)) this.#dispatch(core, frame)
  }

  #dispatch(core: ConnectionCore<Connection<TData>>, frame: ClientFrame): void {
    switch (frame.t) {
      case 'pong':
        return
      case 'event':
        this.#runEvent(core, frame.e, undefined, frame.d, frame.id, core.session !== undefined && frame.s !== undefined)
        return
      case 'pub':
        this.#runEvent(core, frame.e, frame.ch, frame.d, frame.id, core.session !== undefined && frame.s !== undefined)
        return
      case 'rcv':
        core.session?.stream.confirm(frame.s)
        return
      case 'hist':
        core.answerLater(readHistory(core, frame), frame.id)
        return
      case 'ack':
        settle(core, frame)
        return
      case 'sub':
        core.answerLater(subscribe(core, frame.id, frame.ch, frame.since), frame.id)
        return
      case 'unsub':
        unsubscribe(core, frame.id, frame.ch)
        return
      case 'auth':
        core.answerLater(reauthenticate(core, frame.id, frame.auth), frame.id)
        return
      case 'hello':
        core.sendError({ code: ErrorCode.BadFrame, message: 'Malformed frame: the handshake is already done' })
    }
  }

  /** Runs an event or publish; `numbered` when the client numbered it, so its answer must survive a reconnect. */
  #runEvent(core: ConnectionCore<Connection<TData>>, event: string, channel: string | undefined, data: unknown, id: number | undefined, numbered: boolean): void {
    const incoming: IncomingEvent<TData> = { conn: core.conn, event, channel, data }
    if (channel !== undefined || this.#eventMiddleware.length > 0) {
      // It answers for itself, failures included.
      core.answerLater(this.#runThroughMiddleware(core, incoming, id, numbered), undefined)
      return
    }
    // No middleware: a handler that answers synchronously is acknowledged in the same turn.
    let result: unknown
    try {
      result = handle(core, incoming, id !== undefined)
    } catch (error) {
      return failed(core, error, event, id, numbered)
    }
    if (isThenable(result)) {
      result.then(
        (value) => answered(core, value, event, id, numbered),
        (error: unknown) => failed(core, error, event, id, numbered),
      )
    } else answered(core, result, event, id, numbered)
  }

  async #runThroughMiddleware(core: ConnectionCore<Connection<TData>>, incoming: IncomingEvent<TData>, id: number | undefined, numbered: boolean): Promise<void> {
    let result: unknown
    try {
      await runMiddleware(this.#eventMiddleware, incoming, async () => {
        result = incoming.channel === undefined ? await handle(core, incoming, id !== undefined) : await publish(core, incoming)
      })
    } catch (error) {
      return failed(core, error, incoming.event, id, numbered)
    }
    answered(core, result, incoming.event, id, numbered)
  }
}

type Core = ConnectionCore<{ readonly id: string }>

/**
 * What a frame costs in the frame budget. Malformed frames are charged too, so a flood of
 * garbage is refused like any other; the answers the server awaits (the pong to its ping, a
 * `rcv` that confirms kept frames, an `ack` it asked for) are free, and anything else costs 1;
 * a `sub` costs 1 per channel it adds. An `ack` is charged once it is known to answer nothing.
 */
function charge(core: Core, limiter: ConnectionLimiter, frame: ClientFrame | undefined, pingAnswered: boolean): ErrorPayload | undefined {
  switch (frame?.t) {
    case 'event':
    case 'pub':
      return limiter.chargeMessage(frame.e)
    case 'pong':
      return pingAnswered ? undefined : limiter.chargeFrames(1)
    case 'rcv':
      return core.session?.stream.confirms(frame.s) === true ? undefined : limiter.chargeFrames(1)
    case 'ack':
      return undefined
    case 'sub': {
      let added = 0
      for (const channel of frame.ch) if (!core.rooms.has(channel)) added++
      return limiter.chargeFrames(Math.max(1, added))
    }
    default:
      return limiter.chargeFrames(1)
  }
}

/** An `ack` that answers no request of the server's costs what any other frame costs. */
function settle(core: Core, frame: AckFrame): void {
  if (core.acks?.settle(frame) === true) return
  const refusal = core.limiter?.chargeFrames(1)
  if (refusal !== undefined) core.refuse(refusal, undefined, false)
}

/**
 * Answers a frame a limit refused, and closes a connection that keeps pushing. A refused
 * numbered frame still takes its number: it was handled, by refusing it.
 */
function refuse(core: Core, refusal: ErrorPayload, id: number | undefined, numbered: EventFrame | PublishFrame | undefined): void {
  // Only a frame that skips ahead is not answered: it ends the session.
  if (numbered !== undefined && (numbered.s as number) > (core.session?.received.last ?? 0) && !inSequence(core, numbered)) return
  core.refuse(refusal, id, numbered !== undefined)
}

/**
 * Whether a numbered frame is the next one: a repeat is dropped (it was handled when it first
 * came), a gap ends the session, since the frames in it can no longer be applied in order.
 */
function inSequence(core: Core, frame: EventFrame | PublishFrame): boolean {
  // Frames are numbered only on sessions that can be resumed.
  const session = core.session as ResumableSession
  const s = frame.s as number
  if (s <= session.received.last) {
    core.host.logger.debug('repeated frame dropped', { connection: core.id, s })
    return false
  }
  if (s !== session.received.last + 1) {
    core.sendError({ code: ErrorCode.InvalidSequence, message: `Expected frame ${session.received.last + 1}, got ${s}` })
    core.disconnect(CloseCode.SessionReset, ErrorCode.InvalidSequence)
    return false
  }
  // An event with an id is confirmed by its answer.
  if (session.received.received(s, frame.id !== undefined)) {
    session.received.pending = 0
    core.send({ t: 'rcv', s })
  }
  return true
}

function answered(core: Core, result: unknown, event: string, id: number | undefined, numbered: boolean): void {
  if (id === undefined) return
  try {
    core.answer({ t: 'ack', id, d: result }, numbered)
  } catch (error) {
    failed(core, error, event, id, numbered)
  }
}

function failed(core: Core, error: unknown, event: string, id: number | undefined, numbered: boolean): void {
  if (!isRealtimeError(error)) core.host.logger.error('event handler threw', { error, event, connection: core.id })
  if (id !== undefined) core.answer({ t: 'ack', id, err: toErrorPayload(error) }, numbered)
  else if (isRealtimeError(error)) core.sendError(toErrorPayload(error))
}

function handle(core: Core, incoming: IncomingEvent<unknown>, wantsAck: boolean): unknown {
  const handler = flatGet(core.handlers, incoming.event)
  if (handler !== undefined) return handler(incoming.data)
  if (wantsAck) throw new RealtimeError(ErrorCode.UnknownEvent, `No handler for "${incoming.event}"`)
  core.host.logger.debug('event without handler', { event: incoming.event, connection: core.id })
  return undefined
}

async function publish(core: Core, incoming: IncomingEvent<unknown>): Promise<void> {
  const channel = incoming.channel as string
  const refusal = await core.host.authorize(core.conn, channel, 'publish')
  if (refusal !== undefined) throw new RealtimeError(refusal.code, refusal.message)
  await core.host.broadcast({ event: incoming.event, json: encodeData(incoming.data), rooms: [channel], except: [core.id] })
}

async function reauthenticate(core: Core, id: number, auth: unknown): Promise<void> {
  try {
    await core.host.reauthenticate(core.conn, auth)
    core.send({ t: 'ack', id, d: core.expiresAt === undefined ? {} : { expiresAt: core.expiresAt } })
  } catch (error) {
    core.send({ t: 'ack', id, err: toErrorPayload(error) })
  }
}
