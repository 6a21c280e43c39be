import type { Logger } from '@org/realtime-core'
import { RealtimeServer } from '@org/realtime-server'
import { sseTransport } from '@org/realtime-transport-sse/server'
import { channelOf } from './channels.js'
import type { FeedUser, Notification, SentNotification } from './types.js'
import { field, parseUser } from './validate.js'

export { channelOf }

/**
 * The notification server: SSE only; a connection names its user in `auth: { user }` (refused
 * with `UNAUTHORIZED` otherwise) and may subscribe to that user's channel and nothing else.
 * Clients publish nothing: notifications come from the server alone.
 */
export function createNotificationServer({ logger }: { logger?: Logger } = {}): RealtimeServer<FeedUser> {
  return new RealtimeServer<FeedUser>({
    transports: [sseTransport()],
    authenticate: (handshake) => ({ user: parseUser(field(handshake.auth, 'user')) }),
    authorize: (conn, channel, action) => action === 'subscribe' && channel === channelOf(conn.data.user),
    logger,
  })
}

/** Pushes a notification to every subscribed connection of `user`, on every node, and returns it. */
export function sendNotification(rt: RealtimeServer<FeedUser>, user: string, text: string): Notification {
  const notification: Notification = { id: crypto.randomUUID(), text, at: Date.now() }
  rt.to(channelOf(user)).emit('notification', notification)
  return notification
}

/**
 * Counts the subscriptions to `user`'s channel (`rt.in(channel).count()`, on every node), then
 * sends: the caller can tell the sender whether anybody was listening.
 */
export async function notifyUser(rt: RealtimeServer<FeedUser>, user: string, text: string): Promise<SentNotification> {
  const listeners = await rt.in(channelOf(user)).count()
  return { notification: sendNotification(rt, user, text), listeners }
}

const DEMO_TEXTS = ['Your build passed', 'New comment on your post', 'Someone starred your repository', 'Your report is ready', 'Reminder: stand-up in 5 minutes']

/**
 * For the demo: every `everyMs`, sends each user connected to this node a notification. Returns
 * the function that stops it; `everyMs <= 0` starts nothing.
 */
export function startTicker(rt: RealtimeServer<FeedUser>, everyMs: number): () => void {
  if (!(everyMs > 0)) return () => {}
  let count = 0
  const timer = setInterval(() => {
    const text = DEMO_TEXTS[count++ % DEMO_TEXTS.length] as string
    for (const user of new Set([...rt.connections.values()].map((conn) => conn.data.user))) sendNotification(rt, user, text)
  }, everyMs)
  timer.unref()
  return () => clearInterval(timer)
}
