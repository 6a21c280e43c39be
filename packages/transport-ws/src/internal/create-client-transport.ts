import type { ClientSocket, ClientSocketListener, ClientTransport } from '@org/realtime-core'

/** The subset of the WHATWG `WebSocket` constructor the client transport uses. */
export interface WebSocketConstructor {
  new (url: string): WebSocketLike
}

/** The subset of a WHATWG `WebSocket` the client transport uses. */
export interface WebSocketLike {
  /** 1 while open: a frame sent in any other state is dropped, and browsers log an error for it. */
  readonly readyState: number
  onopen: ((event: any) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
  onerror: ((event: any) => void) | null
  send(data: string): void
  close(code?: number, reason?: string): void
}

/** Options of the WebSocket client transport. */
export interface WebSocketClientTransportOptions {
  /**
   * The WebSocket implementation.
   * @default globalThis.WebSocket in browsers; the `ws` package in Node.js
   */
  WebSocket?: WebSocketConstructor
}

/**
 * What a failed connection's `error` event says: a reason, and the HTTP status that refused the
 * upgrade. Only Node.js's `ws` says anything; browsers hide both.
 */
export type DescribeFailure = (event: { message?: string }) => { reason: string; status: number | undefined }

/**
 * Builds the client transport on `Impl`; shared by the browser and Node.js entry points.
 * `describe` reads the `error` event of a connection that failed.
 */
export function createTransport(Impl: WebSocketConstructor | undefined, describe?: DescribeFailure): ClientTransport {
  return {
    name: 'websocket',
    open(url: string, listener: ClientSocketListener): ClientSocket {
      let closed = false
      let failure: ReturnType<DescribeFailure> | undefined
      const finish = (code: number, reason: string): void => {
        if (closed) return
        closed = true
        listener.close(code, reason || (failure?.reason ?? ''), failure?.status)
      }
      let ws: WebSocketLike
      try {
        if (Impl === undefined) throw new Error('No WebSocket: pass the `WebSocket` option')
        ws = new Impl(toWebSocketUrl(url))
      } catch (error) {
        queueMicrotask(() => finish(1006, error instanceof Error ? error.message : 'cannot open'))
        return { send: () => {}, close: () => {} }
      }
      ws.onopen = () => listener.open()
      ws.onmessage = (event) => {
        if (typeof event.data === 'string') listener.message(event.data)
      }
      ws.onclose = (event) => finish(event.code, event.reason)
      ws.onerror = (event: { message?: string }) => {
        failure = describe?.(event)
      }
      return {
        // Closing (the peer's close frame arrived, `close` has not fired yet) or closed: the frame
        // would be dropped either way, and the session sends it again on the next connection.
        send: (frame) => {
          if (ws.readyState === OPEN) ws.send(frame)
        },
        close: (code = 1000, reason) => {
          ws.onmessage = null
          ws.close(code, reason)
          finish(code, reason ?? '')
        },
      }
    },
  }
}

/** `WebSocket.OPEN`, which not every implementation has as a static. */
const OPEN = 1

function toWebSocketUrl(url: string): string {
  return url.replace(/^http(s?):/i, 'ws$1:')
}
