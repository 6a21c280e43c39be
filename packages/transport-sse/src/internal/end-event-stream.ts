import { unrefTimer, type HttpStream } from '@org/realtime-core/http'

/**
 * Ends an event stream after `text`, and cuts it off (the response destroyed, its backlog let go)
 * if its client has not taken all of it within `closeTimeoutMs`.
 */
export function endEventStream(stream: HttpStream, text: string, closeTimeoutMs: number): void {
  stream.end(text)
  cutOffLater(stream, closeTimeoutMs)
}

/**
 * Ends an event stream at once, cleanly: for a client that closed its session (DELETE) or went
 * away, and for a stream a resumed one replaces. A fetch-API stream closes without what its reader
 * has not taken; a Node.js response ends after what was written to it, and is cut off if that is
 * not sent within `closeTimeoutMs`.
 */
export function stopEventStream(stream: HttpStream, closeTimeoutMs: number): void {
  stream.stop()
  cutOffLater(stream, closeTimeoutMs)
}

/** Destroys `stream` unless it is over within `closeTimeoutMs`. */
function cutOffLater(stream: HttpStream, closeTimeoutMs: number): void {
  const timer = unrefTimer(() => stream.destroy(), closeTimeoutMs)
  stream.onClose(() => clearTimeout(timer))
}
