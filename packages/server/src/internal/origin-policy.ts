import type { TransportHost } from '@org/realtime-core'
import type { RealtimeServerOptions } from '../options.js'

/** Turns the `origins` option into a `TransportHost.checkOrigin`. */
export function originPolicy(origins: RealtimeServerOptions<unknown>['origins']): TransportHost['checkOrigin'] {
  if (origins === undefined) return () => 'unchecked'
  const allowed = typeof origins === 'function' ? origins : (origin: string) => origins.includes(origin)
  return (origin) => {
    if (origin === null) return 'unchecked'
    try {
      return allowed(origin) ? 'allowed' : 'refused'
    } catch {
      return 'refused'
    }
  }
}
