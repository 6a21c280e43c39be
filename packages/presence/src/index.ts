/**
 * Presence for `@org/realtime`: the server plugin. The client side is `@org/realtime-presence/client`.
 * @module @org/realtime-presence
 */
export type { PresenceServerOptions } from './options.js'
export { presence, type PresencePlugin } from './server-plugin.js'
export type { ServerPresenceMember } from './topic.js'
