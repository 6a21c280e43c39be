/**
 * The server process of bench/scenarios/db-changes.mjs: a RealtimeServer with the postgresChanges
 * plugin (or without it, for the writer baseline), driven over IPC: `start`, `cpu`, `stop`.
 */
import { RealtimeServer } from '@org/realtime-server'
import { postgresChanges } from '../../packages/postgres/dist/index.js'

let rt
let calls = 0
let cpuStart = process.cpuUsage()

const handlers = {
  async start({ connectionString, slot, publication, filterRow }) {
    const plugin = postgresChanges({
      connectionString,
      slot,
      publication,
      statusIntervalMs: 1000,
      ...(filterRow
        ? {
            identity: (conn) => conn.data.user,
            filterRow: (conn, row) => {
              calls++
              return row.k % 2 === 0 || conn.data.user !== 'odd'
            },
          }
        : {}),
    })
    rt = new RealtimeServer({
      rateLimit: false,
      authorize: () => true,
      authenticate: (handshake) => ({ user: String(handshake.auth?.user ?? 'anon') }),
      plugins: [plugin],
    })
    const port = await rt.listen(0, { host: '127.0.0.1' })
    await plugin.ready()
    return { port }
  },
  cpuReset() {
    cpuStart = process.cpuUsage()
    calls = 0
    return null
  },
  cpu() {
    const used = process.cpuUsage(cpuStart)
    return { cpuUs: used.user + used.system, filterRowCalls: calls }
  },
  async stop() {
    await rt?.close()
    return null
  },
}

process.on('message', async ({ id, method, args }) => {
  try {
    process.send({ id, result: await handlers[method](args) })
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) })
  }
})
