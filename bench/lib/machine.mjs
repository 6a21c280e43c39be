/**
 * How busy the machine was with other work while the benchmark ran: on 2 cores, anything else
 * running (a build, a test suite) moves the figures. Linux only; elsewhere it reports nothing.
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'

const TICK_US = 10_000 // USER_HZ is 100 on Linux

/** Busy CPU time of the whole machine and of this process plus its exited children, in µs. */
function sample() {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
    const [user, nice, system, , , irq, softirq, steal] = cpu
    const self = readFileSync('/proc/self/stat', 'utf8')
    // Fields after the command name: utime stime cutime cstime are 14–17 (1-based) of the line.
    const fields = self.slice(self.lastIndexOf(')') + 2).split(' ').map(Number)
    const [utime, stime, cutime, cstime] = fields.slice(11, 15)
    return {
      busyUs: (user + nice + system + irq + softirq + steal) * TICK_US,
      oursUs: (utime + stime + cutime + cstime) * TICK_US,
      at: performance.now(),
    }
  } catch {
    return undefined
  }
}

/** Starts watching; `stop()` returns the share of one core that other processes used. */
export function watchOtherLoad() {
  const start = sample()
  return {
    loadAverage: os.loadavg()[0],
    stop() {
      const end = sample()
      if (!start || !end) return undefined
      const otherUs = end.busyUs - start.busyUs - (end.oursUs - start.oursUs)
      return Math.max(0, otherUs / ((end.at - start.at) * 1000))
    },
  }
}
