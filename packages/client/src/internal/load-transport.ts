import type { ClientTransport } from '@org/realtime-core'
import { webSocketTransport } from '@org/realtime-transport-ws/client'

/** Transports a client may name instead of passing the transport itself. */
export type BuiltInTransportName = 'websocket' | 'sse' | 'polling'

const loaders: Record<BuiltInTransportName, () => Promise<ClientTransport>> = {
  websocket: async () => webSocketTransport(),
  // Loaded on first use, so bundlers split them off and pages that never fall back never load them.
  sse: async () => (await import('./http-transports.js')).sseTransport(),
  polling: async () => (await import('./http-transports.js')).pollingTransport(),
}

/** Whether `name` names a built-in transport. */
export function isBuiltInTransport(name: string): name is BuiltInTransportName {
  return Object.hasOwn(loaders, name)
}

/** The built-in transport called `name`, with its default options. */
export function loadTransport(name: BuiltInTransportName): Promise<ClientTransport> {
  return loaders[name]()
}
