/**
 * React hooks for the realtime client: `RealtimeProvider`, `useRealtime`, `useEvent` and
 * `useChannel`. Presence, documents and tables have their own entry points
 * (`@org/realtime-react/presence`, `/document`, `/table`).
 * @module @org/realtime-react
 */
export { RealtimeContext, type RealtimeContextValue } from './context.js'
export type { ConnectionStatus } from './connection-store.js'
export { DEFAULT_RELEASE_DELAY_MS, RealtimeProvider, type RealtimeProviderProps } from './provider.js'
export type { ChannelStatus } from './shared-channel.js'
export { DEFAULT_MAX_MESSAGES, useChannel, type ChannelMessage, type UseChannelOptions, type UseChannelResult } from './use-channel.js'
export { useEvent } from './use-event.js'
export { useRealtime, type UseRealtimeResult } from './use-realtime.js'
