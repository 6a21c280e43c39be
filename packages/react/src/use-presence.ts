import type { RealtimeError } from '@org/realtime-client'
import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react'
import { useRealtimeContext } from './context.js'
import { EMPTY_PRESENCE, presenceStore, type PresenceSnapshot, type PresenceStore } from './presence-store.js'

/** Options of {@link usePresence}. */
export interface UsePresenceOptions<T> {
  /**
   * Whether two selected values are the same, so the component need not re-render.
   * @default `shallowEqual`: `Object.is`, or the same items of two arrays, or the same values of
   * two plain objects' keys
   */
  isEqual?: (a: T, b: T) => boolean
}

/**
 * Whether `a` and `b` are equal at the first level: the same value (`Object.is`), arrays of the
 * same items, or plain objects with the same values under the same keys.
 */
export function shallowEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => Object.is(item, b[i]))
  if (Object.getPrototypeOf(a) !== Object.prototype || Object.getPrototypeOf(b) !== Object.prototype) return false
  const keys = Object.keys(a)
  const record = b as Record<string, unknown>
  return keys.length === Object.keys(b).length && keys.every((key) => key in record && Object.is((a as Record<string, unknown>)[key], record[key]))
}

interface Selection<M, T> {
  snapshot: PresenceSnapshot<M>
  selector: (presence: PresenceSnapshot<M>) => T
  selected: T
}

/**
 * The presence of `channel` (who else is in it), as much of it as `selector` picks: the
 * component re-renders only when the selected value changes, so a component that selects one
 * member is left alone when another member's meta changes. With a `meta`, this connection tracks
 * itself in the channel while the component is mounted (one component per channel should pass
 * it: the connection has one meta per channel); `undefined` only watches. Components share one
 * watch of the channel's presence, stopped `releaseDelayMs` after the last unmounted. Needs the
 * server's presence plugin (`@org/realtime-presence`).
 * @throws RealtimeError `BAD_REQUEST` outside a `RealtimeProvider`.
 *
 * @example
 * const ada = usePresence('room:1', { name: 'Bob' }, (p) => p.members.get('ada'))
 * const names = usePresence<{ name: string }, string[]>('room:1', undefined, (p) => [...p.members.values()].map((m) => m.metas[0]?.meta.name ?? m.key))
 */
export function usePresence<M = Record<string, unknown>, T = PresenceSnapshot<M>>(
  channel: string,
  meta: M | undefined,
  selector: (presence: PresenceSnapshot<M>) => T = (presence) => presence as T,
  options: UsePresenceOptions<T> = {},
): T {
  const { client, releaseDelayMs } = useRealtimeContext('usePresence')
  const store = presenceStore<M>(client, channel)
  const isEqual = options.isEqual ?? shallowEqual
  const delay = useRef(releaseDelayMs)
  const selection = useRef<Selection<M, T> | undefined>(undefined)
  const serverSelection = useRef<Selection<M, T> | undefined>(undefined)
  useEffect(() => {
    delay.current = releaseDelayMs
  })
  const subscribe = useMemo(
    () =>
      (onChange: () => void): (() => void) => {
        const unwatch = store.watch(onChange)
        const release = store.acquire()
        return () => {
          unwatch()
          release(delay.current)
        }
      },
    [store],
  )
  const select = (cache: { current: Selection<M, T> | undefined }, snapshot: PresenceSnapshot<M>): T => {
    const last = cache.current
    if (last !== undefined && last.snapshot === snapshot && last.selector === selector) return last.selected
    const selected = selector(snapshot)
    if (last !== undefined && isEqual(last.selected, selected)) {
      cache.current = { snapshot, selector, selected: last.selected }
      return last.selected
    }
    cache.current = { snapshot, selector, selected }
    return selected
  }
  const selected = useSyncExternalStore(
    subscribe,
    () => select(selection, store.snapshot()),
    () => select(serverSelection, EMPTY_PRESENCE as PresenceSnapshot<M>),
  )
  const metaJson = meta === undefined ? undefined : JSON.stringify(meta)
  // The meta sent last: a new one replaces it (one `update` for the others, never a leave and a join).
  const sent = useRef<string | undefined>(undefined)
  const tracking = metaJson !== undefined
  useEffect(() => {
    if (metaJson === undefined) return
    const presence = store.presence
    // This render's meta; a later one goes through the effect below, which does not untrack.
    sent.current = metaJson
    send(store, metaJson)
    return () => {
      sent.current = undefined
      presence.untrack().catch(() => undefined)
    }
  }, [store, tracking])
  useEffect(() => {
    if (metaJson === undefined || sent.current === undefined || metaJson === sent.current) return
    sent.current = metaJson
    send(store, metaJson)
  }, [store, metaJson])
  return selected
}

/** Tracks this connection with `metaJson` (a first meta or a replacement), reporting a refusal to the store. */
function send<M>(store: PresenceStore<M>, metaJson: string): void {
  store.presence.track(JSON.parse(metaJson) as M).then(
    () => store.tracked(undefined),
    (error: RealtimeError) => store.tracked(error),
  )
}
