/** Request headers whose values repeat from connection to connection; others are left alone. */
const REPEATING_HEADERS: ReadonlySet<string> = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'connection',
  'host',
  'origin',
  'pragma',
  'sec-websocket-extensions',
  'sec-websocket-version',
  'upgrade',
  'user-agent',
])

/** Longest value worth sharing. */
const MAX_LENGTH = 256

/**
 * A query made only of what the protocol puts in the URL that opens a connection (`hello=1`,
 * `transport=sse`), the same for many clients, unlike an application's own parameters.
 */
const PROTOCOL_QUERY = /^\?(?:(?:hello|transport)=[a-z0-9]{1,16}(?:&|$))+$/

/**
 * One copy of each string that many connections hold alike: the values of headers such as
 * `upgrade: websocket`, `host` or a browser's `user-agent`, and the URL path. Every connection
 * keeps these (for `conn.handshake`) as long as it is open, so without this each idle connection
 * would hold its own copies of the same strings. Replacing a value with an equal string changes
 * nothing a reader can see. The table stops growing at `maxValues`, so clients sending varied
 * values cannot grow it without bound; values past it are kept as they came.
 */
export class SharedValues {
  readonly #values = new Map<string, string>()
  readonly #maxValues: number

  constructor(maxValues = 1000) {
    this.#maxValues = maxValues
  }

  /** Replaces the values of repeating `headers` with their shared copies, in place. */
  shareHeaders(headers: Record<string, string | string[] | undefined>): void {
    for (const name in headers) {
      const value = headers[name]
      if (typeof value === 'string' && REPEATING_HEADERS.has(name)) headers[name] = this.share(value)
    }
  }

  /**
   * The shared copy of `url` when its query, if any, is only the protocol's: an application's own
   * query may well be different for every client.
   */
  shareUrl(url: string): string {
    const query = url.indexOf('?')
    return query === -1 || PROTOCOL_QUERY.test(url.slice(query)) ? this.share(url) : url
  }

  /** The shared copy of `value`. */
  share(value: string): string {
    const shared = this.#values.get(value)
    if (shared !== undefined) return shared
    if (this.#values.size < this.#maxValues && value.length <= MAX_LENGTH) this.#values.set(value, value)
    return value
  }
}
