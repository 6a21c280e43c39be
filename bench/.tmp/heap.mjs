import { spawnChild } from '../lib/ipc.mjs'
const impl = process.argv[2] ?? 'ours-sse'
const mod = await import(`../servers/${impl === 'ours' ? 'ours' : 'ours-sse'}.mjs`)
const server = await mod.start()
const load = spawnChild(new URL('../load.mjs', import.meta.url).pathname, [], { name: 'load' })
await load.call('setup', { impl, port: server.port })
const mem = () => { global.gc(); global.gc(); return process.memoryUsage().heapUsed }
const before = mem()
await load.call('connect', { count: 4000, concurrency: 256 }, 120000)
await new Promise((r) => setTimeout(r, 6000))
console.log(impl, 'heap per conn', Math.round((mem() - before) / 4000))
load.notify('exit'); await server.close(); process.exit(0)
