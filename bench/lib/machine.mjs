/**
 * How busy the machine was with other work while the benchmark ran: on 2 cores, anything else
 * running (a build, a test suite) moves the figures. Linux only; elsewhere it reports nothing.
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'

const TICK_US = 10_000 // USER_HZ is 100 on Linux

/** utime, stime, cutime and cstime of a process, in clock ticks (fields 14–17 of its stat line). */
function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name, which may hold spaces and parentheses.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number).slice(11, 15)
}

/**
 * Busy CPU time of the whole machine and of this process with its children, in µs: exited
 * children through this process's counters, children still running (`livePids`) through theirs.
 */
function sample(livePids = []) {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
    const [user, nice, system, , , irq, softirq, steal] = cpu
    let oursTicks = cpuTicks('self').reduce((a, b) => a + b, 0)
    for (const pid of livePids) {
      try {
        const [utime, stime] = cpuTicks(pid)
        oursTicks += utime + stime
      } catch {
        // Exited meanwhile: counted by this process's cutime and cstime once reaped.
      }
    }
    return {
      busyUs: (user + nice + system + irq + softirq + steal) * TICK_US,
      oursUs: oursTicks * TICK_US,
      at: performance.now(),
    }
  } catch {
    return undefined
  }
}

/**
 * Starts watching; `stop(livePids)` returns the share of one core that other processes used.
 * Pass the children that are still running and were started after `watchOtherLoad`: their CPU
 * is the benchmark's own.
 */
export function watchOtherLoad() {
  const start = sample()
  return {
    loadAverage: os.loadavg()[0],
    stop(livePids = []) {
      const end = sample(livePids)
      if (!start || !end) return undefined
      const otherUs = end.busyUs - start.busyUs - (end.oursUs - start.oursUs)
      return Math.max(0, otherUs / ((end.at - start.at) * 1000))
    },
  }
}
