/**
 * A few keys and their values, kept flat (key, value, key, value…) for objects of which a server
 * holds many at once: a `Map` costs ~180 bytes even with one entry, this ~50. Lookups scan the
 * entries, so it is for the handful a connection has, such as its event handlers.
 */
export type FlatMap<V> = Array<string | V>

/** The value of `key`. */
export function flatGet<V>(map: FlatMap<V> | undefined, key: string): V | undefined {
  if (map === undefined) return undefined
  for (let index = 0; index < map.length; index += 2) if (map[index] === key) return map[index + 1] as V
  return undefined
}

/** Sets `key` to `value`, replacing an earlier value; returns the map, a new one when `map` is undefined. */
export function flatSet<V>(map: FlatMap<V> | undefined, key: string, value: V): FlatMap<V> {
  if (map === undefined) return [key, value]
  for (let index = 0; index < map.length; index += 2) {
    if (map[index] === key) {
      map[index + 1] = value
      return map
    }
  }
  map.push(key, value)
  return map
}

/** Removes `key` and its value. */
export function flatDelete<V>(map: FlatMap<V> | undefined, key: string): void {
  if (map === undefined) return
  for (let index = 0; index < map.length; index += 2) {
    if (map[index] === key) {
      map.splice(index, 2)
      return
    }
  }
}
