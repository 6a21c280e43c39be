import { randomUUID } from 'node:crypto'
import { ErrorCode, RealtimeError, type Connection, type RealtimeServer, type RealtimeServerOptions } from '@org/realtime-server'
import { RoomHistory } from './history.js'
import { RoomPresence } from './presence.js'
import type { ChatMessage, ChatUser, RoomState } from './types.js'
import { isRoomId, parseName, parseRoomId, parseText } from './validate.js'

/**
 * Rooms a connection may be in at once. A page shows one room, but keeps the one it left for the
 * React hooks' release delay (1 s), so quick switching holds a few; past it `subscribe` is
 * refused with `LIMIT_EXCEEDED`.
 */
export const MAX_ROOMS_PER_CONNECTION = 5

/**
 * What one `send-message` costs against the server's rate limit (50 units a second, bursts of
 * 100): a connection may send 5 messages a second, 10 at once; past it `RATE_LIMITED`.
 */
export const SEND_MESSAGE_COST = 10

/**
 * The server options the chat needs: a name to connect; a room is joined by subscribing to its
 * channel, whose name must be a room id (else `FORBIDDEN`), in at most
 * {@link MAX_ROOMS_PER_CONNECTION} rooms at once. Clients publish nothing to a room themselves:
 * messages go through `send-message`, which checks and stores them.
 */
export const chatOptions = {
  authenticate: (handshake) => ({ name: parseName(handshake.auth) }),
  authorize: (_conn, channel, action) => action === 'subscribe' && isRoomId(channel),
  rateLimit: { subscriptionsPerConnection: MAX_ROOMS_PER_CONNECTION, eventCost: { 'send-message': SEND_MESSAGE_COST } },
} satisfies RealtimeServerOptions<ChatUser>

/** Options of {@link attachChat}. */
export interface AttachChatOptions {
  /**
   * Resolves once the history as it is now is stored (see `HistoryFile.flush`): a message is
   * broadcast and acknowledged only then, so a message anyone saw survives a crash.
   * @default nothing to wait for (the history lives in memory)
   */
  saved?: () => Promise<void>
}

/**
 * The chat: `room-state`, `send-message` and `typing` from clients; `user-joined`, `user-left`,
 * `user-away`, `user-back`, `user-typing` and `new-message` broadcast to the room. A connection is
 * in the rooms whose channels it subscribed to. Presence is per name: the same name in two tabs
 * joins once and leaves with its last tab. A name whose connections all dropped is shown away at
 * once (the server keeps their sessions for `recovery.windowMs`), back when one resumes, and left
 * when the last session ends.
 */
export function attachChat(rt: RealtimeServer<ChatUser>, history = new RoomHistory<ChatMessage>(), { saved = async () => {} }: AttachChatOptions = {}): void {
  const presence = new RoomPresence()
  /** Tells the others in `room` when the presence of `conn`'s name changed. */
  const update = (conn: Connection<ChatUser>, room: string, attached: boolean | undefined): void => {
    const { name } = conn.data
    for (const event of presence.set(room, name, conn.id, attached)) rt.to(room).except(conn.id).emit(event, { name })
  }
  // The server's membership events: `join` on a subscription, `leave` on an unsubscription and
  // when a session ends, in each of its rooms.
  rt.on('join', (conn, room) => update(conn, room, conn.connected))
  rt.on('leave', (conn, room) => update(conn, room, undefined))
  // A dropped connection keeps its session, and its rooms, while it may come back.
  rt.on('detached', (conn) => {
    for (const room of conn.rooms) update(conn, room, false)
  })
  rt.on('resumed', (conn) => {
    for (const room of conn.rooms) update(conn, room, true)
  })

  rt.on('connection', (conn) => {
    const { name } = conn.data
    /** The room named in `data`, which the connection must be in. */
    const roomOf = (data: unknown): string => {
      const room = parseRoomId(data)
      if (!conn.rooms.has(room)) throw new RealtimeError(ErrorCode.Forbidden, `Subscribe to #${room} first`)
      return room
    }

    conn.on('room-state', async (data): Promise<RoomState> => {
      const room = roomOf(data)
      // Each name once: here when one of its connections is attached, away when none is.
      const here = new Set<string>()
      const all = new Set<string>()
      for (const member of await rt.in(room).members()) {
        all.add(member.data.name)
        if (member.connected) here.add(member.data.name)
      }
      const members = [...all].sort()
      return { room, history: history.get(room), members, away: members.filter((member) => !here.has(member)) }
    })

    conn.on('send-message', async (data): Promise<ChatMessage> => {
      const room = roomOf(data)
      const message: ChatMessage = { id: randomUUID(), name, text: parseText(data), at: Date.now() }
      history.add(room, message)
      await saved()
      rt.to(room).emit('new-message', message)
      return message
    })

    conn.on('typing', (data) => {
      const room = (data as { roomId?: unknown } | null)?.roomId
      if (isRoomId(room) && conn.rooms.has(room)) conn.to(room).emit('user-typing', { name })
    })
  })
}
