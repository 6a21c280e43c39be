import type { RealtimeServer } from '@org/realtime-server'
import { createNotificationServer } from './notifications.js'
import type { FeedUser } from './types.js'

const store = globalThis as typeof globalThis & { notificationServer?: RealtimeServer<FeedUser> }

/**
 * The process's notification server for the fetch-API mode (`lib/realtime.ts` in a Next.js app):
 * `route.ts` serves it, and server code pushes with `sendNotification(rt, user, text)`. Kept on
 * `globalThis` because Next.js may evaluate a module more than once in a process (dev reloads,
 * separate route bundles), and every route must reach the same sessions.
 * @see https://github.com/vercel/next.js/issues/65350
 */
export const rt = (store.notificationServer ??= createNotificationServer())
