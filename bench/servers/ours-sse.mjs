/**
 * (a2) This library over its server-sent events transport: the server of servers/ours.mjs with the
 * HTTP transports instead of WebSocket. It also offers long-polling (`servers/ours-polling.mjs` is
 * this file); which one a run measures is up to the load process.
 */
import { path, start as startOurs } from './ours.mjs'

// The bench's root package does not depend on the HTTP transports (the client package does):
// load them from their built files in the workspace, as ES modules, so they share
// @org/realtime-core with the server.
const { sseTransport } = await import(new URL('../../packages/transport-sse/dist/server.js', import.meta.url))
const { pollingTransport } = await import(new URL('../../packages/transport-polling/dist/server.js', import.meta.url))

export { path }

export function start() {
  return startOurs([sseTransport(), pollingTransport()])
}
