import { stopOnSignals } from '@org/example-kit/stop-on-signals'
import { startEditorServer } from './editor-server.js'

const server = await startEditorServer({
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? '127.0.0.1',
  logger: { debug() {}, info() {}, warn: console.warn, error: console.error },
})
console.log(`Editor example running at ${server.url}`)
stopOnSignals(server)
