import { stopOnSignals } from '@org/example-kit/stop-on-signals'
import { startTodoServer } from './todo-server.js'

const server = await startTodoServer({
  connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  port: Number(process.env.PORT ?? 3001),
  host: process.env.HOST ?? '127.0.0.1',
  logger: { debug() {}, info() {}, warn: console.warn, error: console.error },
})
console.log(`To-do example running at ${server.url} (open ?list=2 for another list)`)
stopOnSignals(server)
