/** Who is typing: each name shows until `timeoutMs` after their last keystroke or their message. */
export class TypingIndicator {
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>()

  constructor(
    readonly render: (text: string) => void,
    readonly timeoutMs = 3000,
  ) {}

  typing(name: string): void {
    clearTimeout(this.#timers.get(name))
    this.#timers.set(name, setTimeout(() => this.stopped(name), this.timeoutMs))
    this.#render()
  }

  stopped(name: string): void {
    clearTimeout(this.#timers.get(name))
    if (this.#timers.delete(name)) this.#render()
  }

  clear(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
    this.#render()
  }

  #render(): void {
    const names = [...this.#timers.keys()]
    if (names.length === 0) this.render('')
    else if (names.length === 1) this.render(`${names[0]} is typing…`)
    else if (names.length === 2) this.render(`${names[0]} and ${names[1]} are typing…`)
    else this.render('several people are typing…')
  }
}
