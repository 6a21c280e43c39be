import type { ChannelEventFrame, ServerFrame } from '@org/realtime-core'

/**
 * The frame in `text`, or undefined when it is not a JSON object with a string `t` or a channel
 * event array (which comes back as the event frame it stands for). The client checks only this
 * envelope and trusts the fields of the server it chose to connect to: the full validation
 * (`decodeServerFrame` in core) would cost browsers about half a kilobyte.
 */
export function parseServerFrame(text: string): ServerFrame | undefined {
  try {
    const frame = JSON.parse(text) as { t?: unknown } | ChannelEventFrame | null
    // Offsets count from 1: 0 says the server keeps no history.
    if (Array.isArray(frame)) return { t: 'event', ch: frame[0], o: frame[1] || undefined, e: frame[2], d: frame[3] }
    // Only an object has a `t`: JSON's other values are null, arrays (above) and primitives.
    if (typeof frame?.t === 'string') return frame as ServerFrame
  } catch {
    // Not JSON: reported by the caller like any malformed frame.
  }
  return undefined
}
