/**
 * The presence hook: `usePresence(channel, meta, selector)`, on `@org/realtime-presence/client`.
 * @module @org/realtime-react/presence
 */
export type { PresenceSnapshot } from './presence-store.js'
export { shallowEqual, usePresence, type UsePresenceOptions } from './use-presence.js'
export type { PresenceMember, PresenceMeta } from '@org/realtime-presence/client'
