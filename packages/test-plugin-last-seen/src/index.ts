import type { Connection, RealtimePlugin } from '@org/realtime-server'

/** Where a user stands: connected, away (every connection dropped, waiting to be resumed), or gone since `at`. */
export type LastSeenStatus = 'online' | 'away' | { readonly at: number }

/** Options of {@link lastSeen}. */
export interface LastSeenOptions<TData> {
  /** The user a connection's `data` names; connections without one are not tracked. */
  user: (data: TData) => string | undefined
  /**
   * Users whose last-seen time is remembered once they are gone; the longest gone are forgotten first.
   * @default 10000
   */
  maxRemembered?: number
}

/** The plugin, and what it knows. */
export interface LastSeen<TData> extends RealtimePlugin<TData> {
  /** Where `user` stands, or undefined when the plugin never saw them (or forgot them). */
  status(user: string): LastSeenStatus | undefined
}

/** Tracks whether each user is online, away, or when they were last seen; answers the `last-seen` event. */
export function lastSeen<TData = Record<string, any>>(options: LastSeenOptions<TData>): LastSeen<TData> {
  const maxRemembered = options.maxRemembered ?? 10_000
  /** Live sessions of each user, open or detached. */
  const sessions = new Map<string, Set<Connection<TData>>>()
  /** When each gone user was last seen, the longest gone first. */
  const gone = new Map<string, number>()
  const userOf = (conn: Connection<TData>): string | undefined => options.user(conn.data)

  const plugin: LastSeen<TData> = {
    name: 'last-seen',
    status(user) {
      const live = sessions.get(user)
      if (live !== undefined) return [...live].some((conn) => conn.connected) ? 'online' : 'away'
      const at = gone.get(user)
      return at === undefined ? undefined : { at }
    },
    onConnection(conn) {
      conn.on('last-seen', (user: unknown) => (typeof user === 'string' ? (plugin.status(user) ?? null) : null))
      const user = userOf(conn)
      if (user === undefined) return
      gone.delete(user)
      let live = sessions.get(user)
      if (live === undefined) sessions.set(user, (live = new Set()))
      live.add(conn)
    },
    onDisconnect(conn) {
      const user = userOf(conn)
      const live = user === undefined ? undefined : sessions.get(user)
      if (user === undefined || live === undefined || !live.delete(conn) || live.size > 0) return
      sessions.delete(user)
      gone.set(user, Date.now())
      if (gone.size > maxRemembered) gone.delete(gone.keys().next().value as string)
    },
  }
  return plugin
}
