import { ErrorCode, RealtimeError } from './errors.js'
import { MAX_NAME_LENGTH } from './protocol.js'

/**
 * A JSON value, as subscription options hold them.
 */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue | undefined }

/**
 * Options of a channel subscription (`client.channel(name, options)`), e.g. a database change
 * filter: a JSON object. They travel in the `sub` frame, reach the server's `authorize` and the
 * plugin that claims the channel's namespace, and are part of the channel's identity.
 */
export type ChannelOptions = { readonly [key: string]: JsonValue | undefined }

/** What separates a channel's name from its options in a channel key: U+001F, the unit separator. */
export const CHANNEL_OPTIONS_SEPARATOR = '\u001f'

/** Longest options of a channel, as canonical JSON, in UTF-16 code units. */
export const MAX_CHANNEL_OPTIONS_LENGTH = 1024

/** Deepest nesting of a channel's options: the options object itself is level 1. */
export const MAX_CHANNEL_OPTIONS_DEPTH = 4

/** Most keys a channel's options may have, counting the keys of every object in them. */
export const MAX_CHANNEL_OPTIONS_KEYS = 32

/** Longest channel key: a name (256), the separator and the options (1024). */
export const MAX_CHANNEL_KEY_LENGTH = 1281

/** A channel key read back: the channel's name and its options, if it has any. */
export interface ParsedChannelKey {
  /** The channel's name. */
  readonly name: string
  /** Its subscription options; undefined when it has none. */
  readonly options: ChannelOptions | undefined
}

/**
 * `value` as canonical JSON: object keys sorted (by UTF-16 code units), no spaces. Equal values
 * give equal text, whatever order their keys were written in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.keys(inner)
            .sort()
            .map((key) => [key, (inner as Record<string, unknown>)[key]]),
        )
      : inner,
  )
}

/**
 * The key that identifies the subscription to `name` with `options` on the wire and names its
 * room on the server: `name` alone when there are no options (or none but undefined ones), else
 * `name`, {@link CHANNEL_OPTIONS_SEPARATOR} and the options as canonical JSON.
 * @example channelKey('db:public:todos', { filter: 'list_id=eq.42' }) // 'db:public:todos\u001f{"filter":"list_id=eq.42"}'
 */
export function channelKey(name: string, options?: ChannelOptions): string {
  // `undefined` for no options, `{}` for empty ones: either way the name alone.
  const json = canonicalJson(options) as string | undefined
  return (json?.length ?? 0) > 2 ? name + CHANNEL_OPTIONS_SEPARATOR + json : name
}

/**
 * Reads a channel key (see {@link channelKey}) back into its name and options, checking the
 * options' bounds: at most {@link MAX_CHANNEL_OPTIONS_LENGTH} characters of canonical JSON,
 * {@link MAX_CHANNEL_OPTIONS_DEPTH} levels and {@link MAX_CHANNEL_OPTIONS_KEYS} keys.
 * @throws RealtimeError `BAD_REQUEST` for a name over 256 characters or empty, options that are
 * not a non-empty JSON object in canonical form, or over a bound.
 */
export function parseChannelKey(key: string): ParsedChannelKey {
  const at = key.indexOf(CHANNEL_OPTIONS_SEPARATOR)
  const name = at === -1 ? key : key.slice(0, at)
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) throw badOptions(`a channel name must have 1 to ${MAX_NAME_LENGTH} characters`)
  if (at === -1) return { name, options: undefined }
  const json = key.slice(at + 1)
  if (json.length > MAX_CHANNEL_OPTIONS_LENGTH) throw badOptions(`they may take at most ${MAX_CHANNEL_OPTIONS_LENGTH} characters of JSON`)
  let options: unknown
  try {
    options = JSON.parse(json)
  } catch {
    throw badOptions('they must be JSON')
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw badOptions('they must be a JSON object')
  const keys = countKeys(options, 1)
  if (keys === 0) throw badOptions('empty options are left out of the channel key')
  if (canonicalJson(options) !== json) throw badOptions('they must be canonical JSON: keys sorted, no spaces')
  return { name, options: options as ChannelOptions }
}

/** Keys of `value` and everything in it, at nesting level `depth`. */
function countKeys(value: unknown, depth: number): number {
  if (value === null || typeof value !== 'object') return 0
  if (depth > MAX_CHANNEL_OPTIONS_DEPTH) throw badOptions(`they may nest at most ${MAX_CHANNEL_OPTIONS_DEPTH} levels deep`)
  const members = Array.isArray(value) ? value : Object.values(value)
  let keys = Array.isArray(value) ? 0 : members.length
  for (const member of members) {
    keys += countKeys(member, depth + 1)
    if (keys > MAX_CHANNEL_OPTIONS_KEYS) throw badOptions(`they may have at most ${MAX_CHANNEL_OPTIONS_KEYS} keys`)
  }
  return keys
}

function badOptions(why: string): RealtimeError {
  return new RealtimeError(ErrorCode.BadRequest, `Invalid channel options: ${why}`)
}

/**
 * Whether `value` may name a channel in a frame: a string of at most {@link MAX_CHANNEL_KEY_LENGTH}
 * characters whose name (before the separator, or all of it) has 1 to 256. The options are
 * checked by the server ({@link parseChannelKey}), so that one bad channel does not refuse a frame.
 */
export function isValidChannel(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > MAX_CHANNEL_KEY_LENGTH) return false
  const at = value.indexOf(CHANNEL_OPTIONS_SEPARATOR)
  const nameLength = at === -1 ? value.length : at
  return nameLength > 0 && nameLength <= MAX_NAME_LENGTH
}
