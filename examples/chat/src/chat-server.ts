import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { loadBuiltPage, type BuiltPageOptions } from '@org/example-kit/built-page'
import { listenRealtime } from '@org/example-kit/listen'
import { staticSiteHandler } from '@org/example-kit/static-files'
import { RealtimeServer, type RealtimeServerOptions } from '@org/realtime-server'
import type { Logger } from '@org/realtime-core'
import { attachChat, chatOptions } from './chat.js'
import { HistoryFile } from './history-file.js'
import { RoomHistory } from './history.js'
import type { ChatMessage, ChatUser } from './types.js'
import { isStoredMessage } from './validate.js'

/** The example's directory: its `vite.config.ts`, `src/` and `dist/web`. */
const EXAMPLE_DIR = fileURLToPath(new URL('..', import.meta.url))

/** Options of {@link startChatServer}. */
export interface ChatServerOptions extends BuiltPageOptions {
  /** @default 3000; 0 picks a free port */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
  /**
   * JSON file that keeps the rooms' latest messages across restarts (at most 50 messages in each
   * of 100 rooms); `pnpm start` keeps it under the OS temp dir.
   * @default none: the history lives in memory and a restart forgets it
   */
  historyFile?: string
  /**
   * Heartbeat settings of the realtime server: a dropped connection that nobody closed is noticed
   * (and its user shown away) within `pingIntervalMs + pingTimeoutMs`.
   * @default the server's: { pingIntervalMs: 25000, pingTimeoutMs: 20000 }
   */
  heartbeat?: Pick<RealtimeServerOptions<ChatUser>, 'pingIntervalMs' | 'pingTimeoutMs'>
  /** @default silent */
  logger?: Logger
}

/** A running chat server. */
export interface ChatServer {
  /** The page's URL, e.g. `http://127.0.0.1:3000/`. */
  url: string
  port: number
  /** The realtime server behind the page. */
  rt: RealtimeServer<ChatUser>
  /**
   * Closes every realtime connection, then the HTTP server, and writes the history file (every
   * message is in it already: `send-message` waits for its write).
   */
  close(): Promise<void>
}

/** Builds the page if needed, then serves it and the chat's realtime endpoint at `/realtime`. */
export async function startChatServer({ port = 3000, host = '127.0.0.1', historyFile, heartbeat, logger, ...page }: ChatServerOptions = {}): Promise<ChatServer> {
  const file = historyFile === undefined ? undefined : new HistoryFile(historyFile, { onError: (error) => logger?.warn('chat history file', { error }) })
  const history: RoomHistory<ChatMessage> = new RoomHistory({ onChange: () => file?.save(() => history) })
  const [files, saved] = await Promise.all([loadBuiltPage(EXAMPLE_DIR, page, logger), file?.load()])
  history.restore(saved, isStoredMessage)
  const http = createServer(staticSiteHandler(files))
  const rt = new RealtimeServer<ChatUser>({ ...chatOptions, ...heartbeat, logger })
  attachChat(rt, history, { saved: async () => file?.flush() })
  rt.attach(http, { path: '/realtime' })

  const listening = await listenRealtime(http, rt, port, host)
  return {
    ...listening,
    rt,
    async close() {
      await listening.close()
      await file?.flush()
    },
  }
}
