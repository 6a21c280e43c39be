import type { Server } from 'node:http'
import { connect, type Socket } from 'node:net'

/** A server frame as a raw peer reads it (servers do not mask). */
export interface RawFrame {
  opcode: number
  payload: Buffer
}

/**
 * A WebSocket peer on a bare TCP socket that sends an upgrade request and then nothing at all: it
 * never answers a close frame and never closes its side, as a hostile peer would. It records the
 * HTTP answer, the frames it receives and when the server closes the socket.
 */
export class RawUpgradePeer {
  /** The HTTP status line and headers the server answered with. */
  head = ''
  readonly frames: RawFrame[] = []
  /** Resolves when the server has ended or reset the connection, with the time it happened. */
  readonly closed: Promise<number>
  #buffer = Buffer.alloc(0)

  private constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) => {
      socket.once('end', () => resolve(Date.now()))
      socket.once('close', () => resolve(Date.now()))
    })
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => this.#received(chunk))
  }

  /** Connects from `localAddress` (any 127.0.0.x) and sends an upgrade request for `path`. */
  static open(port: number, path: string, { localAddress = '127.0.0.1', headers = {} }: { localAddress?: string; headers?: Record<string, string> } = {}): RawUpgradePeer {
    // allowHalfOpen: the server's FIN does not end our side, so the server must not wait for it.
    const socket = connect({ host: '127.0.0.1', port, localAddress, allowHalfOpen: true })
    const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`)
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra.join('')}\r\n`,
    )
    return new RawUpgradePeer(socket)
  }

  /** The close code of the first close frame received, if any. */
  get closeCode(): number | undefined {
    const close = this.frames.find((frame) => frame.opcode === 0x8)
    return close === undefined ? undefined : close.payload.readUInt16BE(0)
  }

  #received(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk])
    if (this.head === '') {
      const end = this.#buffer.indexOf('\r\n\r\n')
      if (end === -1) return
      this.head = this.#buffer.subarray(0, end).toString('latin1')
      this.#buffer = this.#buffer.subarray(end + 4)
    }
    // Frames shorter than 64 KiB are all a test needs.
    while (this.#buffer.length >= 2) {
      const short = (this.#buffer[1] as number) & 0x7f
      const [offset, length] = short === 126 ? [4, this.#buffer.length >= 4 ? this.#buffer.readUInt16BE(2) : Infinity] : [2, short]
      if (this.#buffer.length < offset + length) return
      this.frames.push({ opcode: (this.#buffer[0] as number) & 0x0f, payload: this.#buffer.subarray(offset, offset + length) })
      this.#buffer = this.#buffer.subarray(offset + length)
    }
  }
}

/** Resolves when `server` holds at most `count` sockets (upgraded ones included), with the time it happened. */
export async function socketsDropTo(server: Server, count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs
  while ((await openSockets(server)) > count) {
    if (Date.now() > deadline) throw new Error(`the server still holds more than ${count} sockets after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return Date.now()
}

function openSockets(server: Server): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))))
}
