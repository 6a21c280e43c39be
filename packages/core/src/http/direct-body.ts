/**
 * The key under which a `Response` of an HTTP transport may offer its body as text to a Node.js
 * bridge: the value is a function that, given the Node.js response, writes the text there
 * directly (no `ReadableStream` of bytes in between) and returns true, or returns false when the
 * body was already read. A stream (server-sent events) keeps writing and ends the response later;
 * a whole body (a long-poll answer) is written and ended at once. Once a body is taken over, the
 * request's signal no longer aborts: a stream learns that its client went away from the target's
 * `close`. `Symbol.for`, so separate copies of the packages agree.
 */
export const DIRECT_BODY: unique symbol = Symbol.for('@org/realtime.directBody') as never

/** What a Node.js bridge hands to a {@link DIRECT_BODY} function: a `ServerResponse`, in effect. */
export interface DirectTarget {
  write(text: string): unknown
  /** Ends the response, with `text` as its last part. */
  end(text?: string): unknown
  /**
   * Cuts the response off at once, and its connection with it, dropping what was not sent: for a
   * client that does not read what it was sent.
   */
  destroy(): unknown
  /** Bytes written but not yet handed to the operating system. */
  readonly writableLength: number
  /**
   * Calls `listener` once the response is closed: after it ended, or when the client went away
   * first. A body that keeps writing learns here that its client is gone.
   */
  once(event: 'close', listener: () => void): unknown
}
