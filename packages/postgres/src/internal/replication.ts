import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication'
import { lsnValue } from './lsn.js'

/** What the stream tells its owner. */
export interface StreamHandlers {
  /** A decoded message; the next one waits until this resolves. */
  message(lsn: string, message: Pgoutput.Message): Promise<void>
  /** The stream started (again). */
  started(): void
  /** The stream stopped with `error`; it restarts after `retryInMs`. */
  stopped(error: unknown, retryInMs: number): void
  /** Before each (re)start: makes sure the slot exists. */
  prepare(): Promise<void>
  /** Whether everything handled so far is durable (nothing waits to be logged). */
  idle(): boolean
}

/** Options of {@link ReplicationStream}. */
export interface StreamOptions {
  readonly connectionString: string
  readonly slot: string
  readonly publication: string
  /** Ms between standby status updates (acks of the durable LSN). */
  readonly statusIntervalMs: number
  /** First and longest wait before a restart. */
  readonly retryMs: readonly [first: number, max: number]
}

/**
 * A logical replication stream of a named slot (pgoutput), restarted after every failure. It
 * acknowledges only what its owner declared durable ({@link ReplicationStream.durable}); while
 * nothing is in flight, a keepalive's LSN is acknowledged too, so the slot moves on an idle
 * database.
 */
export class ReplicationStream {
  readonly #options: StreamOptions
  readonly #handlers: StreamHandlers
  #service: LogicalReplicationService | undefined
  #closed = false
  #running: Promise<void> | undefined
  #durable = 0n
  #durableText = '0/0'
  /** Messages received and not yet handled, and whether a transaction is open. */
  #inFlight = 0
  #openTransaction = false
  #status: ReturnType<typeof setInterval> | undefined
  #wake: (() => void) | undefined
  #fail: ((error: unknown) => void) | undefined

  constructor(options: StreamOptions, handlers: StreamHandlers) {
    this.#options = options
    this.#handlers = handlers
  }

  /** Starts streaming; restarts by itself until {@link ReplicationStream.close}. */
  start(): void {
    this.#running ??= this.#loop()
  }

  /** Everything up to `lsn` is durable downstream: PostgreSQL may release the WAL before it. */
  durable(lsn: string): void {
    const value = lsnValue(lsn)
    if (value <= this.#durable) return
    this.#durable = value
    this.#durableText = lsn
  }

  /** Acknowledges the durable LSN now. */
  async flush(): Promise<void> {
    await this.#ack(this.#durableText)
  }

  /** Restarts the stream from the last acknowledged position, reporting `error`. */
  fail(error: unknown): void {
    this.#fail?.(error)
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#wake?.()
    clearInterval(this.#status)
    const service = this.#service
    if (service !== undefined) {
      await this.#ack(this.#durableText)
      await service.destroy().catch(() => undefined)
    }
    await this.#running
  }

  async #loop(): Promise<void> {
    let delay = this.#options.retryMs[0]
    while (!this.#closed) {
      let failure: unknown
      try {
        await this.#handlers.prepare()
        if (this.#closed) break
        await this.#run(() => {
          delay = this.#options.retryMs[0]
        })
        failure = new Error('The replication stream ended')
      } catch (error) {
        failure = error
      }
      if (this.#closed) break
      this.#handlers.stopped(failure, delay)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay)
        this.#wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      delay = Math.min(delay * 2, this.#options.retryMs[1])
    }
  }

  async #run(onStart: () => void): Promise<void> {
    const service = new LogicalReplicationService(
      { connectionString: this.#options.connectionString },
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } },
    )
    this.#service = service
    this.#inFlight = 0
    this.#openTransaction = false
    let failed: unknown
    service.on('error', (error: Error) => {
      failed ??= error
    })
    this.#fail = (error) => {
      failed ??= error
      void service.stop().catch(() => undefined)
    }
    service.on('start', () => {
      onStart()
      clearInterval(this.#status)
      this.#status = setInterval(() => void this.#ack(this.#durableText).catch(() => undefined), this.#options.statusIntervalMs)
      this.#status.unref?.()
      this.#handlers.started()
    })
    service.on('data', async (lsn: string, message: Pgoutput.Message) => {
      if (message.tag === 'begin') this.#openTransaction = true
      this.#inFlight++
      try {
        await this.#handlers.message(lsn, message)
      } catch (error) {
        failed ??= error
        // A change that could not be made durable: restart from the last acknowledged LSN.
        void service.stop().catch(() => undefined)
      } finally {
        this.#inFlight--
        if (message.tag === 'commit') this.#openTransaction = false
      }
    })
    service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) => {
      // Nothing received is still being handled: everything before this keepalive is durable.
      if (this.#inFlight === 0 && !this.#openTransaction && failed === undefined && this.#handlers.idle()) this.durable(lsn)
      if (shouldRespond) void this.#ack(this.#durableText).catch(() => undefined)
    })
    try {
      const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [this.#options.publication] })
      await service.subscribe(plugin, this.#options.slot)
    } finally {
      clearInterval(this.#status)
      this.#service = undefined
      await service.destroy().catch(() => undefined)
    }
    if (failed !== undefined) throw failed
  }

  async #ack(lsn: string): Promise<void> {
    if (lsn === '0/0') return
    await this.#service?.acknowledge(lsn)
  }
}
