import { HttpRefusal } from '@org/realtime-core/http-client'
import type { StreamReader } from './create-client-transport.js'
import { createSseParser } from './parse-sse.js'

/** Reads an event stream with fetch, for runtimes without `EventSource` (Node.js 20). */
export const readStream: StreamReader = async (fetchImpl, url, credentials, signal, onEvent) => {
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
