import { parseCloseHeader } from '@org/realtime-core/http-client'
import { FrameLog } from './frame-log.js'

/**
 * A client of the SSE or long-polling transport speaking the protocol by hand, as a test peer
 * that can send anything. Frames arrive in `frames`; `closed` resolves with the close marker, or
 * with 1006 when delivery stops without one. Its requests carry the session's key in
 * `x-realtime-key` (`headers`), as the protocol asks; `sessionUrl` alone does not give the session
 * away.
 */
export class RawHttpPeer extends FrameLog {
  readonly closed: Promise<{ code: number; reason: string }>
  readonly #aborted = new AbortController()
  #lastPost: Promise<void> = Promise.resolve()
  #close!: (close: { code: number; reason: string }) => void

  private constructor(
    readonly sessionUrl: string,
    readonly transport: 'sse' | 'polling',
    /** The session's key, from the answer that opened it. */
    readonly key: string,
    /** SSE: the single-use token for re-opening the stream, from its `session` event. */
    readonly resumeToken?: string,
  ) {
    super()
    this.closed = new Promise((resolve) => {
      this.#close = resolve
    })
  }

  /**
   * Opens a session; with `read: false` an SSE peer never reads its stream past the session event,
   * like a stalled client. `query` goes in the URL of the request that opens the session.
   */
  static async open(url: string, transport: 'sse' | 'polling', options: { read?: boolean; query?: string } = {}): Promise<RawHttpPeer> {
    const signal = new AbortController()
    const extra = options.query === undefined ? '' : `&${options.query}`
    if (transport === 'polling') {
      const { sid, key } = (await (await fetch(`${url}?transport=polling${extra}`)).json()) as { sid: string; key: string }
      const peer = new RawHttpPeer(`${url}?transport=polling&sid=${sid}`, transport, key)
      void peer.#poll()
      return peer
    }
    const response = await fetch(`${url}?transport=sse${extra}`, { signal: signal.signal })
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    let peer: RawHttpPeer | undefined
    while (peer === undefined) {
      const { value, done } = await reader.read()
      if (done) throw new Error('the stream ended before the session event')
      buffer += decoder.decode(value, { stream: true })
      const session = /event: session\ndata: (\S+)\n\n/.exec(buffer)?.[1]
      if (session === undefined) continue
      const { sid, key, resume } = JSON.parse(session) as { sid: string; key: string; resume: string }
      peer = new RawHttpPeer(`${url}?transport=sse&sid=${sid}`, transport, key, resume)
    }
    const found = peer
    found.#aborted.signal.addEventListener('abort', () => signal.abort())
    if (options.read !== false) void found.#readEvents(reader, decoder, buffer.slice(buffer.indexOf('\n\n', buffer.indexOf('event: session')) + 2))
    return found
  }

  /**
   * POSTs `frame` (a string is sent as is, so it may be malformed) after the POSTs before it, as a
   * client must; resolves with the response.
   */
  send(frame: unknown): Promise<Response> {
    const body = typeof frame === 'string' ? frame : JSON.stringify(frame)
    const sent = this.#lastPost.then(() => this.post(body))
    this.#lastPost = sent.then(
      () => undefined,
      () => undefined,
    )
    return sent
  }

  /** The headers that prove a request comes from this peer: `{ 'x-realtime-key': key }`. */
  get headers(): Record<string, string> {
    return { 'x-realtime-key': this.key }
  }

  /** POSTs a raw body now. */
  post(body: BodyInit): Promise<Response> {
    return fetch(this.sessionUrl, { method: 'POST', body, headers: { ...this.headers, 'content-type': 'text/plain' } })
  }

  /** Closes the session as a client does: `DELETE` with its key, naming `code`. */
  delete(code = 1000): Promise<Response> {
    return fetch(`${this.sessionUrl}&code=${code}`, { method: 'DELETE', headers: this.headers })
  }

  /** Stops reading, as a vanished client would. */
  terminate(): void {
    this.#aborted.abort()
  }

  async #readEvents(reader: ReadableStreamDefaultReader<Uint8Array>, decoder: TextDecoder, rest: string): Promise<void> {
    let buffer = rest
    try {
      for (;;) {
        let end: number
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          // Not a regular expression: `.` stops at U+2028 and U+2029, which JSON may hold.
          const data = block.split('\n').find((line) => line.startsWith('data: '))?.slice('data: '.length)
          if (data === undefined) continue
          if (block.includes('event: close')) return this.#close(JSON.parse(data))
          this.received(data)
        }
        const { value, done } = await reader.read()
        if (done) break
        buffer += decoder.decode(value, { stream: true })
      }
    } catch {
      // aborted
    }
    this.#close({ code: 1006, reason: '' })
  }

  async #poll(): Promise<void> {
    try {
      for (let round = 0; round < 10_000 && !this.#aborted.signal.aborted; round++) {
        const response = await fetch(this.sessionUrl, { headers: this.headers, signal: this.#aborted.signal })
        if (!response.ok) break
        for (const line of (await response.text()).split('\n')) if (line.length > 0) this.received(line)
        const closing = response.headers.get('x-realtime-close')
        if (closing !== null) return this.#close(parseCloseHeader(closing))
      }
    } catch {
      // aborted
    }
    this.#close({ code: 1006, reason: '' })
  }
}
