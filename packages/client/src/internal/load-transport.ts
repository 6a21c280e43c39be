import { ErrorCode, RealtimeError, type ClientTransport } from '@org/realtime-core'
import { webSocketTransport } from '@org/realtime-transport-ws/client'

/** Transports a client may name instead of passing the transport itself. */
export type BuiltInTransportName = 'websocket' | 'sse' | 'polling'

/** The HTTP transports, named: loaded on first use by {@link loadTransport}. */
export type LazyTransportName = 'sse' | 'polling'

/**
 * `entry` of the `transports` option as the connector keeps it: the WebSocket transport made now
 * when named, the HTTP ones still named, to load on first use.
 * @throws RealtimeError `TRANSPORT_ERROR` for a name that names no built-in transport.
 */
export function resolveTransport(entry: ClientTransport | string): ClientTransport | LazyTransportName {
  if (entry === 'websocket') return webSocketTransport()
  if (typeof entry === 'string' && entry !== 'sse' && entry !== 'polling') throw new RealtimeError(ErrorCode.TransportError, `Unknown transport "${entry}"`)
  return entry
}

/**
 * The HTTP transport called `name`, with its default options. Loaded on first use, so bundlers
 * split them off (one chunk for both) and pages that never fall back never load them.
 */
export async function loadTransport(name: LazyTransportName): Promise<ClientTransport> {
  const loaded = await import('./http-transports.js')
  return name === 'sse' ? loaded.sseTransport() : loaded.pollingTransport()
}
