import type { ClientState, DisconnectEvent, RealtimeClient, RealtimeError, ReconnectEvent, ReconnectingEvent } from '@org/realtime-client'

/** The connection as {@link useRealtime} shows it. */
export interface ConnectionStatus {
  /** `idle`, `connecting`, `connected`, `reconnecting` or `disconnected` (for good). */
  readonly state: ClientState
  /** Whether the handshake is done and frames go out at once. */
  readonly connected: boolean
  /** The session id the server gave, once connected. */
  readonly id: string | undefined
  /**
   * After a reconnect: whether the server resumed the session with nothing lost (the `reconnect`
   * event's `recovered`). Undefined before the first reconnect. False: reload the app's state.
   */
  readonly recovered: boolean | undefined
  /**
   * The last error the client reported on its lifecycle `error` event (a refused `emit` or
   * `publish`, `RATE_LIMITED`, a refused handshake, giving up connecting…), until the next
   * successful connect. Show it: failures should not be silent.
   */
  readonly error: RealtimeError | undefined
  /**
   * While `state` is `reconnecting`: the number of the reconnection attempt scheduled or under way
   * (1, 2, …, the `reconnecting` event's `attempt`), to show "reconnecting (attempt 3)…".
   * Undefined in every other state.
   * @default undefined
   */
  readonly reconnectAttempt: number | undefined
}

/** The status while rendering on the server: nothing connects there. */
export const SERVER_CONNECTION_STATUS: ConnectionStatus = Object.freeze({
  state: 'idle',
  connected: false,
  id: undefined,
  recovered: undefined,
  error: undefined,
  reconnectAttempt: undefined,
})

/** One client's connection status as an external store for `useSyncExternalStore`. */
export class ConnectionStore {
  readonly #client: RealtimeClient
  readonly #watchers = new Set<() => void>()
  #status: ConnectionStatus
  #recovered: boolean | undefined
  #error: RealtimeError | undefined
  #attempt: number | undefined

  constructor(client: RealtimeClient) {
    this.#client = client
    this.#status = this.#read()
  }

  readonly subscribe = (onChange: () => void): (() => void) => {
    if (this.#watchers.size === 0) {
      const { lifecycle } = this.#client
      lifecycle.on('connect', this.#onConnect).on('disconnect', this.#onDisconnect).on('reconnecting', this.#onReconnecting)
      lifecycle.on('connect_error', this.#refresh).on('reconnect', this.#onReconnect).on('error', this.#onError)
    }
    this.#watchers.add(onChange)
    return () => {
      this.#watchers.delete(onChange)
      if (this.#watchers.size > 0) return
      const { lifecycle } = this.#client
      lifecycle.off('connect', this.#onConnect).off('disconnect', this.#onDisconnect).off('reconnecting', this.#onReconnecting)
      lifecycle.off('connect_error', this.#refresh).off('reconnect', this.#onReconnect).off('error', this.#onError)
    }
  }

  /** The status, the same object until something changed. */
  readonly getSnapshot = (): ConnectionStatus => {
    const status = this.#status
    const client = this.#client
    if (status.state !== client.state || status.id !== client.id || status.recovered !== this.#recovered || status.error !== this.#error || status.reconnectAttempt !== this.#reconnectAttempt()) {
      this.#status = this.#read()
    }
    return this.#status
  }

  readonly getServerSnapshot = (): ConnectionStatus => SERVER_CONNECTION_STATUS

  readonly #onConnect = (): void => {
    this.#error = undefined
    this.#attempt = undefined
    this.#refresh()
  }

  readonly #onReconnect = ({ recovered }: ReconnectEvent): void => {
    this.#recovered = recovered
    this.#refresh()
  }

  readonly #onDisconnect = ({ willReconnect }: DisconnectEvent): void => {
    // Disconnected for good: a later `connect()` counts its attempts from 1 again.
    if (!willReconnect) this.#attempt = undefined
    this.#refresh()
  }

  readonly #onReconnecting = ({ attempt }: ReconnectingEvent): void => {
    this.#attempt = attempt
    this.#refresh()
  }

  readonly #onError = (error: RealtimeError): void => {
    this.#error = error
    this.#refresh()
  }

  readonly #refresh = (): void => {
    for (const onChange of [...this.#watchers]) onChange()
  }

  #read(): ConnectionStatus {
    const client = this.#client
    return { state: client.state, connected: client.connected, id: client.id, recovered: this.#recovered, error: this.#error, reconnectAttempt: this.#reconnectAttempt() }
  }

  /** The attempt of the last `reconnecting` event, while the client is reconnecting. */
  #reconnectAttempt(): number | undefined {
    return this.#client.state === 'reconnecting' ? this.#attempt : undefined
  }
}

const stores = new WeakMap<RealtimeClient, ConnectionStore>()

/** The connection store of `client`, one per client. */
export function connectionStore(client: RealtimeClient): ConnectionStore {
  let store = stores.get(client)
  if (store === undefined) stores.set(client, (store = new ConnectionStore(client)))
  return store
}
