import { RealtimeClient, type RealtimeClientOptions } from '@org/realtime-client'
import { createElement, useEffect, useMemo, useState, type ReactNode } from 'react'
import { RealtimeContext, type RealtimeContextValue } from './context.js'

/**
 * Default of {@link RealtimeProviderProps.releaseDelayMs}: how long a channel stays subscribed
 * after its last component unmounted, and an owned client connected after its provider unmounted.
 */
export const DEFAULT_RELEASE_DELAY_MS = 1000

/** Props of {@link RealtimeProvider}: a `client` made by the app, or a `url` to make one from. */
export type RealtimeProviderProps = {
  children?: ReactNode
  /**
   * Milliseconds a channel stays subscribed after the last component using it unmounted (and a
   * client the provider made stays connected after the provider unmounted): a component that
   * mounts again within it (StrictMode, a route change A→B→A) finds it still open, and the
   * server sees one subscription.
   * @default 1000
   */
  releaseDelayMs?: number
} & (
  | {
      /** The client the hooks use. The app made it, so the app connects and disconnects it. */
      client: RealtimeClient
      url?: never
      options?: never
    }
  | {
      client?: never
      /**
       * The server's URL: the provider makes the client, connects it once mounted (never while
       * rendering on the server) and disconnects it `releaseDelayMs` after unmounting. A new
       * `url` makes a new client.
       */
      url: string
      /** Options of the client the provider makes, read when it is made (`autoConnect` is ignored). */
      options?: RealtimeClientOptions
    }
)

/** A client the provider made, with its pending disconnect. */
interface OwnedClient {
  readonly client: RealtimeClient
  disconnectTimer: ReturnType<typeof setTimeout> | undefined
}

/**
 * Gives the hooks of `@org/realtime-react` their client. Pass the `client` the app made, or a
 * `url` (and `options`) to let the provider make and own one.
 *
 * @example
 * const client = new RealtimeClient('https://example.com/realtime', { auth: { token } })
 * root.render(<RealtimeProvider client={client}><App /></RealtimeProvider>)
 */
export function RealtimeProvider(props: RealtimeProviderProps): ReactNode {
  const releaseDelayMs = props.releaseDelayMs ?? DEFAULT_RELEASE_DELAY_MS
  const owned = useOwnedClient(props.client === undefined ? props.url : undefined, props.options, releaseDelayMs)
  const client = props.client ?? owned?.client
  const value = useMemo<RealtimeContextValue | undefined>(() => client && { client, releaseDelayMs }, [client, releaseDelayMs])
  return createElement(RealtimeContext.Provider, { value }, props.children)
}

/** The client made for `url` (none without one): connected while mounted, disconnected `releaseDelayMs` after. */
function useOwnedClient(url: string | undefined, options: RealtimeClientOptions | undefined, releaseDelayMs: number): OwnedClient | undefined {
  const [state, setState] = useState(() => (url === undefined ? undefined : makeClient(url, options)))
  let owned = state
  if (owned?.client.url !== url) {
    // A new url: a new client (the old one is disconnected by its effect's cleanup).
    owned = url === undefined ? undefined : makeClient(url, options)
    setState(owned)
  }
  useEffect(() => {
    if (owned === undefined) return
    clearTimeout(owned.disconnectTimer)
    owned.disconnectTimer = undefined
    owned.client.connect()
    return () => {
      owned.disconnectTimer = setTimeout(() => owned.client.disconnect(), releaseDelayMs)
    }
  }, [owned, releaseDelayMs])
  return owned
}

function makeClient(url: string, options: RealtimeClientOptions | undefined): OwnedClient {
  // Not connected while rendering: on the server nothing connects, in the browser the effect does.
  return { client: new RealtimeClient(url, { ...options, autoConnect: false }), disconnectTimer: undefined }
}
