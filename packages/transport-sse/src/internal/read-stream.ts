import { ABNORMAL_CLOSE, HttpRefusal } from '@org/realtime-core/http-client'
import type { StreamReader } from './create-client-transport.js'
import { createSseParser, type SseEvent } from './parse-sse.js'

/** Reads an event stream with fetch, for runtimes without `EventSource` (Node.js 20). */
export const readStream: StreamReader = (url, session, onEvent) => {
  const aborted = new AbortController()
  session.stopDelivery = () => aborted.abort()
  read(session.fetch, url, session.credentials, aborted.signal, onEvent).then(
    () => session.deliveryEnded(ABNORMAL_CLOSE, 'the event stream ended'),
    (error: unknown) => session.fail(error),
  )
}

/** Hands each event of the stream at `url` to `onEvent`; resolves when the stream ends. */
async function read(fetchImpl: typeof fetch, url: string, credentials: RequestCredentials, signal: AbortSignal, onEvent: (event: SseEvent) => void): Promise<void> {
  const response = await fetchImpl(url, { headers: { accept: 'text/event-stream' }, credentials, signal })
  if (!response.ok || response.body === null) {
    await response.body?.cancel()
    throw new HttpRefusal(response.status)
  }
  const parse = createSseParser(onEvent)
  const decoder = new TextDecoder()
  const reader = response.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    parse(decoder.decode(value, { stream: true }))
  }
}
