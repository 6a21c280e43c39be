/**
 * The key under which a streamed `Response` of an HTTP transport may offer its body as text to a
 * Node.js bridge: the value is a function that, given the Node.js response, writes the text there
 * directly (no `ReadableStream` of bytes in between) and returns true, or returns false when the
 * stream was already read. `Symbol.for`, so separate copies of the packages agree.
 */
export const DIRECT_BODY: unique symbol = Symbol.for('@org/realtime.directBody') as never

/** What a Node.js bridge hands to a {@link DIRECT_BODY} function: a `ServerResponse`, in effect. */
export interface DirectTarget {
  write(text: string): unknown
  end(): unknown
  /** Bytes written but not yet handed to the operating system. */
  readonly writableLength: number
}
