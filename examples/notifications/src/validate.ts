import { RealtimeError } from '@org/realtime-server'

/** The error code of refused input; `POST /notify` answers it with status 400. */
export const BAD_INPUT = 'BAD_INPUT'

/** User names: 1–32 of a-z, 0-9, "_" and "-", exactly (no trimming, no case folding). */
export const USER_NAME = /^[a-z0-9_-]{1,32}$/

/** A user name, or `BAD_INPUT`. It becomes part of a channel name, hence the strict alphabet. */
export function parseUser(value: unknown): string {
  if (typeof value !== 'string' || !USER_NAME.test(value)) {
    throw new RealtimeError(BAD_INPUT, 'user must be 1–32 characters of a-z, 0-9, "_" and "-"')
  }
  return value
}

/** The text of a notification: 1–500 characters once trimmed, or `BAD_INPUT`. */
export function parseText(value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : ''
  if (text.length === 0 || text.length > 500) throw new RealtimeError(BAD_INPUT, 'text must be 1–500 characters')
  return text
}

/** The `{ user, text }` of a `POST /notify` body, or `BAD_INPUT`. */
export function parseNotifyBody(body: unknown): { user: string; text: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RealtimeError(BAD_INPUT, 'The body must be a JSON object { user, text }')
  const { user, text } = body as Record<string, unknown>
  return { user: parseUser(user), text: parseText(text) }
}

/** `object[key]` when `object` is an object. */
export function field(object: unknown, key: string): unknown {
  return typeof object === 'object' && object !== null ? (object as Record<string, unknown>)[key] : undefined
}
