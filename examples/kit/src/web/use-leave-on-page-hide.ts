import { useRealtime } from '@org/realtime-react'
import { useEffect } from 'react'

/**
 * Under a `RealtimeProvider`: closing the tab (`pagehide`) disconnects the client at once, so the
 * others stop seeing this page (its presence, its caret) right away rather than when the server
 * gives up on the connection.
 */
export function useLeaveOnPageHide(): void {
  const { client } = useRealtime()
  useEffect(() => {
    const leave = (): void => {
      client.disconnect()
    }
    addEventListener('pagehide', leave)
    return () => removeEventListener('pagehide', leave)
  }, [client])
}
