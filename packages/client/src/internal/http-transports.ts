/**
 * The HTTP fallbacks in one module, so that bundlers give them one chunk, loaded the first time a
 * client names either: one file with their shared session code is smaller than three.
 */
export { sseTransport } from '@org/realtime-transport-sse/client'
export { pollingTransport } from '@org/realtime-transport-polling/client'
