import type { ClientSocket, ClientTransport } from '@org/realtime-core'

/** How a {@link FaultyTransport} breaks its current connection. */
export type Fault = 'close' | 'stall'

/**
 * Wraps a client transport so a test can break the connection the client is using: `close` closes
 * it from the client side as a failing network would (code 4001), `stall` silently stops every
 * frame in both directions while the socket stays open, so only heartbeats can notice.
 */
export class FaultyTransport implements ClientTransport {
  readonly name: ClientTransport['name']
  readonly #inner: ClientTransport
  #current: { socket: ClientSocket; stalled: boolean } | undefined

  constructor(inner: ClientTransport) {
    this.#inner = inner
    this.name = inner.name
  }

  open(url: string, listener: Parameters<ClientTransport['open']>[1]): ClientSocket {
    const state = { socket: undefined as unknown as ClientSocket, stalled: false }
    state.socket = this.#inner.open(url, {
      open: () => listener.open(),
      message: (frame) => {
        if (!state.stalled) listener.message(frame)
      },
      close: (code, reason) => {
        if (this.#current === state) this.#current = undefined
        listener.close(code, reason)
      },
    })
    this.#current = state
    return {
      send: (frame) => {
        if (!state.stalled) state.socket.send(frame)
      },
      close: (code, reason) => state.socket.close(code, reason),
      setMaxPayload: (bytes) => state.socket.setMaxPayload?.(bytes),
    }
  }

  /** Breaks the current connection; returns false when there is none. */
  break(fault: Fault): boolean {
    const current = this.#current
    if (current === undefined || current.stalled) return false
    if (fault === 'stall') current.stalled = true
    else current.socket.close(4001, 'network failure')
    return true
  }
}
