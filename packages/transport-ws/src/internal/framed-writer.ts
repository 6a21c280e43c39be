import type { Socket } from 'node:net'
import * as wsModule from 'ws'
import type { WebSocket } from 'ws'

/** What `ws` exposes of a server connection, under names it does not document. */
interface WsInternals {
  _socket?: Socket
}

/** `ws`'s frame builder: exported as `Sender` (and `WebSocket.Sender` in CommonJS), missing from its type definitions. */
type FrameBuilder = { frame(data: Buffer, options: typeof FRAME_OPTIONS): Buffer | Buffer[] } | undefined
const Sender = (wsModule as unknown as { Sender?: FrameBuilder }).Sender

const FRAME_OPTIONS = { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: true } as const

/**
 * Writes text frames to many `ws` connections fast: a frame is built once for every recipient of
 * the same string (server frames are not masked, so the bytes are the same for all), and each
 * socket is corked for the rest of the event-loop turn, so the frames of one turn leave in one
 * write. Only for connections without permessage-deflate; others go through `ws.send`.
 */
export class FramedWriter {
  #lastText: string | undefined
  #lastFrame: Buffer = Buffer.alloc(0)
  /** Sockets corked in this event-loop turn, uncorked together at its end. */
  readonly #corked = new Set<Socket>()
  readonly #uncorkAll = (): void => {
    for (const socket of this.#corked) socket.uncork()
    this.#corked.clear()
  }

  /**
   * The network socket under `ws` that {@link write} may write to, or undefined when the fast path
   * does not apply to it (send through `ws` itself then).
   */
  target(ws: WebSocket, compressed: boolean): Socket | undefined {
    const socket = (ws as unknown as WsInternals)._socket
    return compressed || typeof Sender?.frame !== 'function' ? undefined : socket
  }

  /** Writes `text` as one text frame to `socket`, a {@link target}. */
  write(socket: Socket, text: string): void {
    if (!this.#corked.has(socket)) {
      if (this.#corked.size === 0) process.nextTick(this.#uncorkAll)
      this.#corked.add(socket)
      socket.cork()
    }
    socket.write(this.#frame(text))
  }

  /** The frame of `text`, header and payload in one buffer, so each recipient costs one write. */
  #frame(text: string): Buffer {
    // Comparing a string with itself is a pointer check: a broadcast frames its text once.
    if (text !== this.#lastText) {
      this.#lastText = text
      const framed = (Sender as NonNullable<FrameBuilder>).frame(Buffer.from(text), FRAME_OPTIONS)
      this.#lastFrame = Array.isArray(framed) ? Buffer.concat(framed) : framed
    }
    return this.#lastFrame
  }
}
