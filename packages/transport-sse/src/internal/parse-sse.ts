/** One event of a `text/event-stream`. */
export interface SseEvent {
  /** The `event:` field, `message` when absent. */
  type: string
  /** The `data:` lines, joined with newlines. */
  data: string
  /** The last `id:` field of the stream so far (`EventSource`'s `lastEventId`). */
  lastEventId: string
}

/**
 * An incremental `text/event-stream` parser: feed it text as it arrives, in chunks of any size;
 * it calls `onEvent` for every complete event. Comments and `retry:` fields are skipped.
 */
export function createSseParser(onEvent: (event: SseEvent) => void): (chunk: string) => void {
  let buffer = ''
  let type = ''
  let data: string[] = []
  let lastEventId = ''
  return (chunk) => {
    buffer += chunk
    let end: number
    while ((end = buffer.search(/\r\n|\r|\n/)) !== -1) {
      // A lone CR at the end may be the first half of a CRLF still in flight.
      if (end === buffer.length - 1 && buffer[end] === '\r') break
      const line = buffer.slice(0, end)
      buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1))
      if (line === '') {
        if (data.length > 0) onEvent({ type: type || 'message', data: data.join('\n'), lastEventId })
        type = ''
        data = []
        continue
      }
      if (line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon === -1 ? line : line.slice(0, colon)
      const value = colon === -1 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1))
      if (field === 'event') type = value
      else if (field === 'data') data.push(value)
      else if (field === 'id' && !value.includes('\0')) lastEventId = value
    }
  }
}
