import type { Listener } from '@org/realtime-client'
import { useEffect, useRef } from 'react'
import { useRealtimeContext } from './context.js'

/**
 * Calls `listener` with (typed as `T`, unchecked) the data of every `event` the server sends to this connection (or to
 * every connection) while the component is mounted; what it returns answers the server's
 * `emitWithAck`. The newest `listener` is called, so it may close over props and state without
 * re-registering. A message broadcast to a channel is heard with `useChannel` instead.
 * @throws RealtimeError `BAD_REQUEST` outside a `RealtimeProvider`.
 *
 * @example
 * useEvent('notice', (notice) => setNotices((list) => [...list, notice]))
 */
export function useEvent<T = unknown>(event: string, listener: (data: T) => unknown): void {
  const { client } = useRealtimeContext('useEvent')
  const latest = useRef(listener)
  useEffect(() => {
    latest.current = listener
  })
  useEffect(() => {
    const call: Listener = (data) => latest.current(data as T)
    client.on(event, call)
    return () => void client.off(event, call)
  }, [client, event])
}
