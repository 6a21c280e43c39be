/** Starts the server and load processes of one run, and always stops both. */
import { fileURLToPath } from 'node:url'
import { spawnChild } from './ipc.mjs'

const serverFile = fileURLToPath(new URL('../server.mjs', import.meta.url))
const loadFile = fileURLToPath(new URL('../load.mjs', import.meta.url))

/**
 * Runs `body({ server, load, port })` with a fresh server process for `impl` (with --expose-gc,
 * plus `serverFlags`) and a fresh load process already pointed at it.
 */
export async function withProcesses(impl, serverFlags, body) {
  const server = spawnChild(serverFile, [impl], { execArgv: ['--expose-gc', ...serverFlags], name: `server(${impl})` })
  const load = spawnChild(loadFile, [], { name: `load(${impl})` })
  let failed = false
  try {
    const { port } = await server.call('start', {}, 20_000)
    await load.call('setup', { impl, port })
    return await body({ server, load, port })
  } catch (error) {
    failed = true
    throw error
  } finally {
    load.notify('exit')
    await load.stop(10_000).catch(report(failed))
    await server.call('close', {}, 20_000).catch(report(failed))
    await server.stop(10_000).catch(report(failed))
  }
}

/** Cleanup errors matter only when the run itself went well. */
const report = (alreadyFailed) => (error) => {
  if (!alreadyFailed) throw error
}
