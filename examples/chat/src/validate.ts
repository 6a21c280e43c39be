import { ErrorCode, RealtimeError } from '@org/realtime-server'
import type { ChatMessage } from './types.js'

/** The error code of every refused event payload. */
export const BAD_INPUT = 'BAD_INPUT'

const ROOM_ID = /^[a-z0-9][a-z0-9-]{0,31}$/

/** The display name in a client's `auth`: 1–32 characters once trimmed, else `UNAUTHORIZED`. */
export function parseName(auth: unknown): string {
  return trimmed(field(auth, 'name'), 'name', 32, ErrorCode.Unauthorized)
}

/** Whether `name` is a room id: a lower-case slug of up to 32 characters (the room's channel name). */
export function isRoomId(name: unknown): name is string {
  return typeof name === 'string' && ROOM_ID.test(name)
}

/** The `roomId` of a `room-state`, `send-message` or `typing` payload, or `BAD_INPUT`. */
export function parseRoomId(data: unknown): string {
  const roomId = field(data, 'roomId')
  if (!isRoomId(roomId)) {
    throw new RealtimeError(BAD_INPUT, 'roomId must be 1–32 characters of a-z, 0-9 and "-"')
  }
  return roomId
}

/** The `text` of a `send-message` payload: 1–2000 characters once trimmed. */
export function parseText(data: unknown): string {
  return trimmed(field(data, 'text'), 'text', 2000, BAD_INPUT)
}

/**
 * Whether `value` is a message as the chat stores it (read back from the history file, which any
 * local user could have edited): the same bounds as a message sent, and nothing else in it.
 */
export function isStoredMessage(value: unknown): value is ChatMessage {
  if (typeof value !== 'object' || value === null) return false
  const { id, name, text, at, ...rest } = value as Record<string, unknown>
  return (
    Object.keys(rest).length === 0 &&
    typeof id === 'string' && id.length > 0 && id.length <= 64 &&
    typeof name === 'string' && name.length > 0 && name.length <= 32 &&
    typeof text === 'string' && text.length > 0 && text.length <= 2000 &&
    typeof at === 'number' && Number.isFinite(at)
  )
}

function trimmed(value: unknown, what: string, max: number, code: string): string {
  const text = typeof value === 'string' ? value.trim() : ''
  if (text.length === 0 || text.length > max) throw new RealtimeError(code, `${what} must be 1–${max} characters`)
  return text
}

function field(object: unknown, key: string): unknown {
  return typeof object === 'object' && object !== null ? (object as Record<string, unknown>)[key] : undefined
}
