/**
 * Request/reply over the IPC channel of `child_process.fork`, in both directions.
 * A request is `{ id, cmd, args }` and gets `{ id, ok, result | error }`; a message without `id`
 * is a notification (no reply). Every request has a deadline, so nothing waits forever.
 */
import { fork } from 'node:child_process'

/** Starts `file` as a child process and returns a handle to talk to it. */
export function spawnChild(file, args = [], { execArgv = [], name = file } = {}) {
  const child = fork(file, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const pending = new Map()
  const listeners = new Map()
  let nextId = 1
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  exited.then(({ code, signal }) => {
    for (const { reject, timer } of pending.values()) {
      clearTimeout(timer)
      reject(new Error(`${name} exited (code ${code}, signal ${signal}) before answering`))
    }
    pending.clear()
  })
  // A send to a child that just died fails here and through `exited`; nothing else to do.
  child.on('error', () => {})
  child.on('message', (msg) => {
    if (msg.id !== undefined) {
      const waiter = pending.get(msg.id)
      if (waiter === undefined) return
      pending.delete(msg.id)
      clearTimeout(waiter.timer)
      if (msg.ok) waiter.resolve(msg.result)
      else waiter.reject(new Error(`${name}: ${msg.error}`))
    } else {
      for (const fn of listeners.get(msg.cmd) ?? []) fn(msg.args)
    }
  })
  return {
    pid: child.pid,
    exited,
    /** Sends `cmd` and resolves with the child's answer; rejects after `timeoutMs`. */
    call(cmd, args = {}, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const id = nextId++
        const timer = setTimeout(() => {
          pending.delete(id)
          reject(new Error(`${name}: "${cmd}" got no answer within ${timeoutMs} ms`))
        }, timeoutMs)
        pending.set(id, { resolve, reject, timer })
        const lost = (error) => {
          if (!error || !pending.delete(id)) return
          clearTimeout(timer)
          reject(new Error(`${name}: could not send "${cmd}": ${error.message}`))
        }
        if (child.connected) child.send({ id, cmd, args }, lost)
        else lost(new Error('the process has exited'))
      })
    },
    /** Sends a notification. */
    notify(cmd, args = {}) {
      if (child.connected) child.send({ cmd, args }, () => {})
    },
    /** Listens to the child's notifications named `cmd`. */
    on(cmd, fn) {
      listeners.set(cmd, [...(listeners.get(cmd) ?? []), fn])
    },
    /** Waits up to `graceMs` for the child to exit, then kills it. */
    async stop(graceMs = 5_000) {
      let timer
      const late = new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs, 'late')
      })
      const outcome = await Promise.race([exited, late])
      clearTimeout(timer)
      if (outcome === 'late') {
        child.kill('SIGKILL')
        await exited
        throw new Error(`${name} did not exit within ${graceMs} ms and was killed`)
      }
      return outcome
    },
  }
}

/**
 * Child side: answers the parent's requests with `handlers[cmd](args)`. The child exits when the
 * parent goes away, and after `maxLifetimeMs` in any case.
 */
export function serveParent(handlers, { maxLifetimeMs }) {
  if (process.send === undefined) throw new Error('run this file through bench/run.mjs')
  process.on('message', async (msg) => {
    const handler = handlers[msg.cmd]
    try {
      if (handler === undefined) throw new Error(`unknown command "${msg.cmd}"`)
      const result = await handler(msg.args ?? {})
      if (msg.id !== undefined) process.send({ id: msg.id, ok: true, result })
    } catch (error) {
      if (msg.id !== undefined) process.send({ id: msg.id, ok: false, error: error?.stack ?? String(error) })
      else {
        console.error(error)
        process.exit(1)
      }
    }
  })
  process.on('disconnect', () => process.exit(0))
  setTimeout(() => {
    console.error(`${process.argv[1]}: still running after ${maxLifetimeMs} ms, exiting`)
    process.exit(3)
  }, maxLifetimeMs).unref()
}

/** Child side: sends a notification to the parent. */
export function notifyParent(cmd, args) {
  process.send?.({ cmd, args })
}

/** Wall clock in milliseconds with sub-millisecond resolution, comparable across processes. */
export function clock() {
  return performance.timeOrigin + performance.now()
}
