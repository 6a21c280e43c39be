/**
 * The sending half of a fan-out: `send(seq)` for `seq` from 0 to `msgs - 1`, `burst` per
 * event-loop turn, never more than `window` ahead of the receivers' progress, so the send buffers
 * stay bounded. Returns the function that takes that progress (how many messages every receiver
 * has); `done()` runs once it reaches `msgs`, and later progress is ignored.
 */
export function windowedPump({ msgs, window, burst }, send, done) {
  let sent = 0
  let completed = 0
  let scheduled = false
  let finished = false
  const pump = () => {
    scheduled = false
    for (let n = 0; n < burst && sent < msgs && sent - completed < window; n++) send(sent++)
    schedule()
  }
  const schedule = () => {
    if (!scheduled && sent < msgs && sent - completed < window) {
      scheduled = true
      setImmediate(pump)
    }
  }
  pump()
  return (value) => {
    if (finished) return
    completed = value
    if (completed < msgs) return schedule()
    finished = true
    done()
  }
}
