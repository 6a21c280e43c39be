import type { RealtimeClient } from '@org/realtime-client'
import { ErrorCode, RealtimeError } from '@org/realtime-client'
import { createContext, useContext } from 'react'

/** What {@link RealtimeProvider} gives the hooks below it. */
export interface RealtimeContextValue {
  /** The client the hooks use. */
  readonly client: RealtimeClient
  /** Milliseconds a channel (or an owned client) stays open after its last user unmounted. */
  readonly releaseDelayMs: number
}

/**
 * The React context of {@link RealtimeProvider}. Exported for libraries that build their own hooks
 * on the same client (read it with `useContext`); apps use the hooks.
 */
export const RealtimeContext = createContext<RealtimeContextValue | undefined>(undefined)
RealtimeContext.displayName = 'RealtimeContext'

/**
 * The provider's value, for the hook called `hook`.
 * @throws RealtimeError `BAD_REQUEST` outside a `RealtimeProvider`, saying what to do.
 */
export function useRealtimeContext(hook: string): RealtimeContextValue {
  const value = useContext(RealtimeContext)
  if (value === undefined) {
    throw new RealtimeError(
      ErrorCode.BadRequest,
      `${hook}() was called outside a <RealtimeProvider>: render the component inside ` +
        '<RealtimeProvider client={client}> (or <RealtimeProvider url="https://…/realtime">) from @org/realtime-react.',
    )
  }
  return value
}
