import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/** Options of {@link HistoryFile}. */
export interface HistoryFileOptions {
  /**
   * Milliseconds a change waits before it is written, so that a burst of messages is written once.
   * @default 200
   */
  delayMs?: number
  /**
   * Largest file read at start, in bytes; a bigger one is ignored (and replaced at the next write).
   * @default 16777216 (16 MiB)
   */
  maxBytes?: number
  /** Called with a file that cannot be read or written. @default ignores it */
  onError?: (error: unknown) => void
}

/**
 * A JSON snapshot kept in a file, to survive a restart: `load()` reads it once at start, `save()`
 * after each change writes it shortly afterwards, and `flush()` writes it now (on shutdown). Each
 * write goes to a temporary file renamed over the old one, so a crash leaves the previous snapshot
 * or the new one, never half of one. Up to `delayMs` of changes are lost on a crash.
 */
export class HistoryFile {
  readonly path: string
  readonly #delayMs: number
  readonly #maxBytes: number
  readonly #onError: (error: unknown) => void
  #snapshot: (() => unknown) | undefined
  #timer: ReturnType<typeof setTimeout> | undefined
  #writing: Promise<void> = Promise.resolve()
  /** The write that waits for the one under way, shared by every `flush` meanwhile. */
  #queued: Promise<void> | undefined
  /** What the queued write takes its value from. */
  #latest: (() => unknown) | undefined

  constructor(path: string, { delayMs = 200, maxBytes = 16 * 1024 * 1024, onError = () => {} }: HistoryFileOptions = {}) {
    this.path = path
    this.#delayMs = delayMs
    this.#maxBytes = maxBytes
    this.#onError = onError
  }

  /** The saved value, or `undefined` when there is no file yet, or it is too big or not JSON. */
  async load(): Promise<unknown> {
    try {
      if ((await stat(this.path)).size > this.#maxBytes) throw new RangeError(`${this.path} is over ${this.#maxBytes} bytes: not read`)
      return JSON.parse(await readFile(this.path, 'utf8')) as unknown
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.#onError(error)
      return undefined
    }
  }

  /** Writes what `snapshot()` returns then, `delayMs` from the first change not yet written. */
  save(snapshot: () => unknown): void {
    this.#snapshot = snapshot
    if (this.#timer !== undefined) return
    this.#timer = setTimeout(() => void this.flush(), this.#delayMs)
    this.#timer.unref()
  }

  /**
   * Writes the pending change now; resolves once it is written (failures go to `onError`). Calls
   * made while a write is under way share the next one, which writes the snapshot as it is when
   * that write starts: a burst of messages waiting to be stored costs at most two writes.
   */
  flush(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const snapshot = this.#snapshot
    this.#snapshot = undefined
    if (snapshot === undefined) return this.#writing
    this.#latest = snapshot
    if (this.#queued === undefined) {
      const queued = this.#writing
        .then(() => {
          this.#queued = undefined
          return this.#write(this.#latest?.())
        })
        .catch(this.#onError)
      this.#queued = queued
      this.#writing = queued
    }
    return this.#queued
  }

  async #write(value: unknown): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true })
    const temporary = `${this.path}.${process.pid}.tmp`
    await writeFile(temporary, JSON.stringify(value), { mode: 0o600 })
    await rename(temporary, this.path)
  }
}
