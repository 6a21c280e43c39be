import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stopOnSignals } from '@org/example-kit/stop-on-signals'
import { startChatServer } from './chat-server.js'

const server = await startChatServer({
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? '127.0.0.1',
  // The conversation survives a restart; CHAT_HISTORY_FILE moves it.
  historyFile: process.env.CHAT_HISTORY_FILE ?? join(tmpdir(), 'realtime-chat-example', 'history.json'),
  logger: { debug() {}, info: console.log, warn: console.warn, error: console.error },
})
console.log(`Chat example running at ${server.url}`)
stopOnSignals(server)
