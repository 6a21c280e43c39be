/** (a3) This library over its long-polling transport: the server of servers/ours-sse.mjs. */
export { path, start } from './ours-sse.mjs'
