/** Frames a raw peer received, with a way to wait for the next one that matches. */
export abstract class FrameLog {
  readonly frames: any[] = []
  /** Answer every ping with a pong, as a live client does. */
  answerPings = false
  readonly #waiters: Array<() => void> = []

  abstract send(frame: unknown): unknown

  /** Records a frame that arrived. */
  protected received(text: string): void {
    const frame = JSON.parse(text)
    this.frames.push(frame)
    if (this.answerPings && frame.t === 'ping') this.send({ t: 'pong' })
    for (const wake of this.#waiters.splice(0)) wake()
  }

  /** Completes the handshake and returns the welcome frame. */
  async handshake(auth?: unknown): Promise<any> {
    await this.send({ t: 'hello', v: 1, auth })
    return this.next((frame) => frame.t === 'welcome')
  }

  /** The first frame (already received or upcoming) matching `match`. */
  async next(match: (frame: any) => boolean, timeoutMs = 5000): Promise<any> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.frames.find(match)
      if (found !== undefined) return found
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new Error(`timed out waiting for a frame; got ${JSON.stringify(this.frames)}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining)
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }
}
