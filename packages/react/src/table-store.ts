import { ErrorCode, RealtimeError, type RealtimeClient } from '@org/realtime-client'
import { table, type TableChange, type TableChannelHandle } from '@org/realtime-postgres/client'
import { Lease } from './lease.js'
import type { ChannelStatus } from './shared-channel.js'

/** Default of `UseTableOptions.maxRows`: 10000 rows. */
export const DEFAULT_MAX_ROWS = 10_000

/** How a table store keeps its rows: see `UseTableOptions`. */
export interface TableStoreOptions<Row> {
  key: (row: Row) => string
  load: (() => Promise<readonly Row[]>) | undefined
  maxRows: number
}

/** A table's rows as {@link useTable} shows them; replaced on every change. */
export interface TableSnapshot<Row> extends ChannelStatus {
  /** The rows: those `load` returned, then those inserted since, in that order. */
  readonly rows: readonly Row[]
  /** Whether `load` is running. */
  readonly loading: boolean
}

/** The snapshot while rendering on the server and while nothing holds the table. */
export const EMPTY_TABLE: TableSnapshot<never> = Object.freeze({ rows: [], loading: false, state: 'unsubscribed', recovered: false, error: undefined })

/**
 * One table channel (table and filter) of one client, subscribed while a component holds it: its
 * rows loaded with `load` after each subscription that could not replay what was missed, and
 * kept in sync by its changes.
 */
export class TableStore<Row> {
  readonly #client: RealtimeClient
  readonly #name: string
  readonly #filter: string | undefined
  readonly #watchers = new Set<() => void>()
  readonly #lease = new Lease(
    () => this.#start(),
    () => this.#stop(),
  )
  options: TableStoreOptions<Row> | undefined
  #handle: TableChannelHandle<Row> | undefined
  #rows = new Map<string, Row>()
  /** Changes that arrived while `load` ran: applied over its answer, in order. */
  #buffered: Array<TableChange<Row>> | undefined
  #reloadAgain = false
  /** Counts stops, so that a load that outlived its subscription is ignored. */
  #generation = 0
  #snapshot: TableSnapshot<Row> = EMPTY_TABLE

  constructor(client: RealtimeClient, name: string, filter: string | undefined) {
    this.#client = client
    this.#name = name
    this.#filter = filter
  }

  snapshot(): TableSnapshot<Row> {
    return this.#snapshot
  }

  subscribe(onChange: () => void, delayMs: () => number): () => void {
    this.#watchers.add(onChange)
    const release = this.#lease.acquire()
    return () => {
      this.#watchers.delete(onChange)
      release(delayMs())
    }
  }

  #start(): void {
    this.#handle ??= table<Row>(this.#client, this.#name, { filter: this.#filter })
    const handle = this.#handle
    handle.on('*', this.#onChange)
    handle.lifecycle.on('subscribed', this.#onSubscribed).on('unsubscribed', this.#onUnsubscribed)
    this.#publish({ state: 'subscribing', error: undefined })
    handle.subscribe().catch(() => undefined)
  }

  #stop(): void {
    const handle = this.#handle
    handle?.off('*', this.#onChange)
    handle?.lifecycle.off('subscribed', this.#onSubscribed).off('unsubscribed', this.#onUnsubscribed)
    handle?.unsubscribe()
    this.#generation++
    this.#reloadAgain = false
    this.#rows = new Map()
    this.#buffered = undefined
    this.#snapshot = EMPTY_TABLE
    this.#notify()
  }

  readonly #onSubscribed = ({ recovered }: { recovered: boolean }): void => {
    this.#publish({ state: 'subscribed', recovered, error: undefined })
    if (!recovered) this.#reload()
  }

  readonly #onUnsubscribed = ({ error }: { error?: RealtimeError }): void => this.#publish({ state: 'unsubscribed', recovered: false, error })

  readonly #onChange = (change: TableChange<Row>): void => {
    if (this.#buffered !== undefined) {
      this.#buffered.push(change)
      return
    }
    if (change.tooLarge) {
      // The row did not fit in a message: read the table again.
      this.#reload()
      return
    }
    this.#apply(change)
    this.#publish({})
  }

  /** Loads the rows (one load at a time; asked again while running, it runs once more after). */
  #reload(): void {
    const load = this.options?.load
    if (load === undefined) return
    if (this.#buffered !== undefined) {
      this.#reloadAgain = true
      return
    }
    this.#buffered = []
    this.#publish({ loading: true })
    const generation = this.#generation
    load().then(
      (rows) => {
        if (generation === this.#generation) this.#loaded(rows)
      },
      (error: unknown) => {
        if (generation !== this.#generation) return
        this.#buffered = undefined
        const failure = error instanceof RealtimeError ? error : new RealtimeError(ErrorCode.Internal, 'Loading the table failed', { cause: error })
        this.#publish({ loading: false, error: failure })
      },
    )
  }

  #loaded(rows: readonly Row[]): void {
    if (!this.#lease.active || this.#buffered === undefined) return
    const buffered = this.#buffered
    this.#buffered = undefined
    this.#rows = new Map()
    let tooLarge = false
    for (const row of rows) this.#put(row)
    for (const change of buffered) {
      if (change.tooLarge) tooLarge = true
      else this.#apply(change)
    }
    this.#publish({ loading: false })
    if (tooLarge || this.#reloadAgain) {
      this.#reloadAgain = false
      this.#reload()
    }
  }

  #apply(change: TableChange<Row>): void {
    const options = this.#options()
    if (change.type === 'DELETE') {
      if (change.old !== undefined) this.#rows.delete(options.key(change.old as Row))
    } else if (change.new !== undefined) this.#put(change.new)
  }

  #put(row: Row): void {
    const options = this.#options()
    const key = options.key(row)
    if (!this.#rows.has(key) && this.#rows.size >= options.maxRows) {
      this.#publish({ error: new RealtimeError(ErrorCode.LimitExceeded, `The table holds more than maxRows (${options.maxRows}) rows: narrow its filter`) })
      return
    }
    this.#rows.set(key, row)
  }

  #options(): TableStoreOptions<Row> {
    return this.options ?? { key: defaultKey, load: undefined, maxRows: DEFAULT_MAX_ROWS }
  }

  #publish(change: Partial<TableSnapshot<Row>>): void {
    this.#snapshot = { ...this.#snapshot, ...change, rows: [...this.#rows.values()] }
    this.#notify()
  }

  #notify(): void {
    for (const onChange of [...this.#watchers]) onChange()
  }
}

/** A row's `id`, as a string: the default key. */
export function defaultKey(row: unknown): string {
  return String((row as { id?: unknown }).id)
}

const stores = new WeakMap<RealtimeClient, Map<string, TableStore<unknown>>>()

/** The shared store of table `name` with `filter` on `client`. */
export function tableStore<Row>(client: RealtimeClient, name: string, filter: string | undefined): TableStore<Row> {
  let byName = stores.get(client)
  if (byName === undefined) stores.set(client, (byName = new Map()))
  const id = `${name}\u0000${filter ?? ''}`
  let store = byName.get(id)
  if (store === undefined) byName.set(id, (store = new TableStore<unknown>(client, name, filter)))
  return store as TableStore<Row>
}
