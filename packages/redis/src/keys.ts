/**
 * Names of what one app keeps in Redis, all under its key prefix. A room's keys and its pub/sub
 * channel share the hash tag `{room}`, so they live in one slot of a Redis Cluster, and a script
 * may touch them all and publish on the channel (sharded pub/sub publishes in the key's shard).
 */
export class KeySpace {
  readonly #prefix: string
  /** Where every node hears broadcasts to every connection. */
  readonly everyone: string
  /** Where nodes ask each other for sessions. */
  readonly control: string
  /** Length of a room channel's name around the room: `prefix{` and `}:c`. */
  readonly #channelHead: number

  constructor(prefix: string) {
    this.#prefix = prefix
    this.everyone = `${prefix}all`
    this.control = `${prefix}ctl`
    this.#channelHead = prefix.length + 1
  }

  /** The hash of `room`'s epoch and last offset. */
  meta(room: string): string {
    return `${this.#prefix}{${room}}:m`
  }

  /** The stream of `room`'s kept messages; entry ids are `<offset>-0`. */
  stream(room: string): string {
    return `${this.#prefix}{${room}}:s`
  }

  /** The pub/sub channel of `room`'s live messages. */
  channel(room: string): string {
    return `${this.#prefix}{${room}}:c`
  }

  /** The room of a channel named by {@link channel}, or undefined for another channel. */
  roomOf(channel: string): string | undefined {
    if (!channel.startsWith(this.#prefix) || !channel.endsWith('}:c') || channel[this.#prefix.length] !== '{') return undefined
    if (channel.length < this.#channelHead + 3) return undefined
    return channel.slice(this.#channelHead, -3)
  }
}
