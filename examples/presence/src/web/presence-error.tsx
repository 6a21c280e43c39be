import { usePresence } from '@org/realtime-react/presence'
import type { ReactNode } from 'react'
import { LOBBY } from '../types.js'

/**
 * Why the lobby refused this tab (`LIMIT_EXCEEDED` past the tabs one person may have open,
 * `PAYLOAD_TOO_LARGE`, `FORBIDDEN`…), with its code: the tab still sees who is online.
 */
export function PresenceError(): ReactNode {
  const error = usePresence(LOBBY, undefined, (presence) => presence.error)
  if (error === undefined) return null
  return (
    <p id="presence-error" className="error" role="alert">
      <code>{error.code}</code>
      {error.message}
    </p>
  )
}
