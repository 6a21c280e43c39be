import type { RealtimeClient } from '@org/realtime-client'
import { useSyncExternalStore } from 'react'
import { connectionStore, type ConnectionStatus } from './connection-store.js'
import { useRealtimeContext } from './context.js'

/** What {@link useRealtime} returns: the client, and its connection status. */
export interface UseRealtimeResult extends ConnectionStatus {
  /** The provider's client, for `emit`, `emitWithAck` and the like. */
  readonly client: RealtimeClient
}

/**
 * The provider's client and where its connection stands; the component re-renders when the
 * status changes. While rendering on the server the state is `idle`.
 * @throws RealtimeError `BAD_REQUEST` outside a `RealtimeProvider`.
 *
 * @example
 * const { client, state, reconnectAttempt, error } = useRealtime()
 * if (state === 'reconnecting') return <Banner>Reconnecting (attempt {reconnectAttempt})…</Banner>
 */
export function useRealtime(): UseRealtimeResult {
  const { client } = useRealtimeContext('useRealtime')
  const store = connectionStore(client)
  const status = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getServerSnapshot)
  return { ...status, client }
}
