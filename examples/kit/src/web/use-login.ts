import { useRealtime } from '@org/realtime-react'
import { useCallback, useEffect, useState } from 'react'

/** The name a page connects as, from {@link useLogin}. */
export interface Login {
  /** The name entered, until the page leaves or the server refuses it. @default undefined: ask for one */
  readonly name: string | undefined
  /** Why the last name was let go (the server's refusal), for the login form. @default '' */
  readonly refusal: string
  /** Connects as `name`: the page renders its provider for it. */
  readonly enter: (name: string) => void
  /** Back to the login form, with `reason` (a refusal) to show there. Stable across renders. */
  readonly leave: (reason?: string) => void
}

/**
 * The name a page asks for before it connects: `name` is undefined until `enter(name)`, and again
 * after `leave(reason)`, which keeps `reason` as `refusal` for the form.
 */
export function useLogin(): Login {
  const [name, setName] = useState<string>()
  const [refusal, setRefusal] = useState('')
  const leave = useCallback((reason = '') => {
    setRefusal(reason)
    setName(undefined)
  }, [])
  return { name, refusal, enter: setName, leave }
}

/**
 * Under a `RealtimeProvider`: calls `onRefused('UNAUTHORIZED: <message>')` when the server refused
 * the connection's credentials. The client does not retry that, so the page goes back to its form.
 */
export function useLoginRefused(onRefused: (message: string) => void): void {
  const { state, error } = useRealtime()
  useEffect(() => {
    if (state === 'disconnected' && error?.code === 'UNAUTHORIZED') onRefused(`${error.code}: ${error.message}`)
  }, [state, error, onRefused])
}
