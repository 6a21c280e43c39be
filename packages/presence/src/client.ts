/**
 * The client side of presence: `presence(channel)` on a channel of `@org/realtime-client`.
 * @module @org/realtime-presence/client
 */
export { presence, type Presence, type PresenceEvents, type PresenceListOptions, type PresenceOptions } from './client-presence.js'
export type { PresenceMember, PresenceMeta } from './presence-state.js'
