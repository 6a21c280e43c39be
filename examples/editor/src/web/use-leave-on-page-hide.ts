import { useRealtime } from '@org/realtime-react'
import { useEffect } from 'react'

/** Closing the tab leaves at once, so the others stop seeing this page's caret right away. */
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
