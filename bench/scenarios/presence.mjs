/**
 * Presence: a channel of `members` members on one server; then one more joins, then `joins` more
 * join within one second. For each, the time until every member has seen the join(s), and the
 * bytes (WebSocket payload plus frame headers) the members received meanwhile; and what the
 * joiners received (the channel's state). Our presence plugin against Socket.IO with the app code
 * a developer writes for presence on it (bench/scenarios/presence-server.mjs).
 *
 * Run it alone: `node bench/run.mjs --only presence` (quick: 1,000 members, 100 joins) or with
 * `--full` (10,000 members, 1,000 joins in one second). A run whose joins have not reached every
 * member after `limitMs` reports that time and the share delivered by then.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { spawnChild } from '../lib/ipc.mjs'

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100

/**
 * CPU milliseconds process `pid` has used (user + system), read from /proc: it answers while the
 * process is too busy to answer over IPC (Socket.IO at full size).
 */
function cpuMsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond
}

const serverFile = fileURLToPath(new URL('./presence-server.mjs', import.meta.url))
const loadFile = fileURLToPath(new URL('./presence-load.mjs', import.meta.url))

export default {
  name: 'presence',
  title: (size) =>
    `presence: channel of ${size.members.toLocaleString('en')} members; 1 join, then ${size.joins.toLocaleString('en')} joins in ${size.spreadMs / 1000} s`,
  impls: ['ours', 'socketio'],
  sizes: {
    // `limitMs`: how long the joins may take to reach everyone; past it the run reports what had
    // arrived (Socket.IO at full size sends 11 million frames for them).
    quick: { members: 1000, joins: 100, spreadMs: 1000, clients: 1101, limitMs: 60_000 },
    full: { members: 10_000, joins: 1000, spreadMs: 1000, clients: 11_001, limitMs: 60_000 },
  },
  metrics: [
    { key: 'oneJoinMs', label: 'one join: ms to reach every member', better: 'lower', digits: 1 },
    { key: 'oneJoinKiB', label: 'one join: KiB to the members', better: 'lower', digits: 1 },
    { key: 'oneJoinStateKiB', label: 'one join: KiB of state to the joiner', better: 'lower', digits: 1 },
    { key: 'manyJoinsMs', label: 'joins in 1 s: ms until every member has all', better: 'lower', digits: 0 },
    { key: 'manyJoinsMiB', label: 'joins in 1 s: MiB to the members', better: 'lower', digits: 2 },
    { key: 'manyJoinsFrames', label: 'joins in 1 s: frames to the members', better: 'lower', digits: 0 },
    { key: 'manyJoinsCpuMs', label: 'joins in 1 s: server CPU ms until then', better: 'lower', digits: 0 },
    { key: 'manyJoinsDeliveredPct', label: 'joins in 1 s: % delivered when measured (100 unless it hit the time limit)', better: 'higher', digits: 1 },
  ],
  async run(impl, size, { serverFlags = [] } = {}) {
    const server = spawnChild(serverFile, [impl], { execArgv: serverFlags, name: `presence-server(${impl})` })
    const load = spawnChild(loadFile, [], { name: `presence-load(${impl})` })
    try {
      const { port } = await server.call('start', {}, 20_000)
      await load.call('setup', { impl, port })
      await load.call('members', { count: size.members, concurrency: 256 }, 600_000)
      await load.call('settle', { timeoutMs: 600_000 }, 610_000)
      const counted = await server.call('members')
      if (counted !== size.members) throw new Error(`presence: the server counts ${counted} members, expected ${size.members}`)
      await load.call('joiners', { count: size.joins + 1, concurrency: 256 }, 120_000)

      const one = await load.call('measure', { from: 0, joins: 1, spreadMs: 0, timeoutMs: 60_000 }, 70_000)
      await load.call('settle', { timeoutMs: 60_000 }, 70_000)

      const cpuBefore = cpuMsOf(server.pid)
      const many = await load.call('measure', { from: 1, joins: size.joins, spreadMs: size.spreadMs, timeoutMs: size.limitMs }, size.limitMs + 10_000)
      const cpuMs = cpuMsOf(server.pid) - cpuBefore
      if (!many.timedOut) {
        const after = await server.call('members', {}, 60_000)
        if (after !== size.members + size.joins + 1) throw new Error(`presence: the server counts ${after} members, expected ${size.members + size.joins + 1}`)
      }
      return {
        oneJoinMs: one.endedAt - one.startedAt,
        oneJoinKiB: one.memberBytes / 1024,
        oneJoinStateKiB: one.joinerBytes / 1024,
        manyJoinsMs: many.endedAt - many.startedAt,
        manyJoinsMiB: many.memberBytes / 2 ** 20,
        manyJoinsFrames: many.memberFrames,
        manyJoinsCpuMs: cpuMs,
        manyJoinsDeliveredPct: many.delivered * 100,
      }
    } finally {
      load.notify('exit')
      await load.stop(10_000).catch(() => {})
      await server.call('close', {}, 20_000).catch(() => {})
      await server.stop(10_000).catch(() => {})
    }
  },
}
