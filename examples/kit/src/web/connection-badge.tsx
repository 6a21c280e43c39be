import { useRealtime } from '@org/realtime-react'
import type { ReactNode } from 'react'

/** Where {@link ConnectionBadge} renders, and how it looks. */
export interface ConnectionBadgeProps {
  /**
   * The element's id, for the page's styles and tests.
   * @default 'connection'
   */
  readonly id?: string
  /**
   * The element's class.
   * @default none
   */
  readonly className?: string
}

/**
 * Where the connection stands: "connecting…", "connected", "reconnecting (attempt N)…" or
 * "offline", with `data-state` (`connecting`, `connected`, `reconnecting`, `disconnected`) and,
 * while reconnecting, `data-attempt`.
 */
export function ConnectionBadge({ id = 'connection', className }: ConnectionBadgeProps): ReactNode {
  const { state, reconnectAttempt } = useRealtime()
  const text =
    state === 'connected'
      ? 'connected'
      : state === 'reconnecting'
        ? reconnectAttempt === undefined
          ? 'reconnecting…'
          : `reconnecting (attempt ${reconnectAttempt})…`
        : state === 'disconnected'
          ? 'offline'
          : 'connecting…'
  return (
    <span id={id} className={className} data-state={state === 'idle' ? 'connecting' : state} data-attempt={reconnectAttempt} role="status">
      {text}
    </span>
  )
}
