import type { Socket } from 'node:net'
import type { WebSocket } from 'ws'

/** What `ws` exposes of a server connection, under names it does not document. */
interface WsInternals {
  _socket?: Socket
}

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
    return compressed ? undefined : (ws as unknown as WsInternals)._socket
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
      this.#lastFrame = textFrame(text)
    }
    return this.#lastFrame
  }
}

/**
 * `text` as one unmasked WebSocket text frame (RFC 6455 section 5.2: FIN and opcode 1, then the
 * payload length in 7, 7+16 or 7+64 bits), encoded straight into a buffer of its exact size.
 */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text)
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10
  const frame = Buffer.allocUnsafe(headerLength + length)
  frame[0] = 0x81
  if (length < 126) frame[1] = length
  else if (length < 65_536) {
    frame[1] = 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 127
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
    frame.writeUInt32BE(length >>> 0, 6)
  }
  frame.write(text, headerLength)
  return frame
}
