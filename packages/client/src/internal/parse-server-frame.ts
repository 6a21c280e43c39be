import type { ServerFrame } from '@org/realtime-core'

/**
 * The frame in `text`, or undefined when it is not a JSON object with a string `t`. The client
 * checks only this envelope and trusts the fields of the server it chose to connect to: the full
 * validation (`decodeServerFrame` in core) would cost browsers about half a kilobyte.
 */
export function parseServerFrame(text: string): ServerFrame | undefined {
  try {
    const frame = JSON.parse(text) as { t?: unknown } | null
    if (typeof frame === 'object' && frame !== null && typeof frame.t === 'string') return frame as ServerFrame
  } catch {
    // Not JSON: reported by the caller like any malformed frame.
  }
  return undefined
}
