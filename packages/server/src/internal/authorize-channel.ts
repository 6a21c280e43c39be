import { ErrorCode, isRealtimeError, parseChannelKey, type ChannelOptions, type ErrorPayload, type Logger } from '@org/realtime-core'
import type { Authorize } from '../hooks.js'
import type { ChannelAction } from '../types.js'
import type { Plugins } from './plugins.js'

/**
 * Whether `conn` may `action` on the channel of `key` (its name, with its options if it has
 * any): asks the plugin that claims the name's namespace, which composes with the app's
 * `authorize`, or the app's `authorize` alone. Returns the refusal, or undefined when allowed.
 * Options that break the protocol's bounds, or that go to a namespace whose plugin takes none
 * (`channelOptions` not set), are refused with `BAD_REQUEST` before anyone is asked.
 */
export async function authorizeChannel<TData, TConn>(
  plugins: Plugins<TData>,
  app: Authorize<TData>,
  logger: Logger,
  conn: TConn,
  key: string,
  action: ChannelAction,
): Promise<ErrorPayload | undefined> {
  let name: string
  let options: ChannelOptions | undefined
  try {
    ;({ name, options } = parseChannelKey(key))
  } catch (error) {
    return { code: ErrorCode.BadRequest, message: (error as Error).message }
  }
  const plugin = plugins.claimant(name)
  if (options !== undefined && plugin !== undefined && plugin.channelOptions !== true) {
    return { code: ErrorCode.BadRequest, message: `Channel "${name}" takes no options (plugin "${plugin.name}")` }
  }
  try {
    const allowed = plugin?.authorize === undefined ? app(conn as never, name, action, options) : plugin.authorize(conn as never, name, action, app, options)
    if (await allowed) return undefined
  } catch (error) {
    if (isRealtimeError(error)) return { code: error.code, message: error.message }
    logger.error(plugin?.authorize === undefined ? 'authorize threw' : `plugin "${plugin.name}" authorize threw`, { error, channel: name, action })
  }
  return { code: ErrorCode.Forbidden, message: `Not allowed to ${action} "${name}"` }
}

/** The options in channel key `key`, already checked by {@link authorizeChannel}; undefined when it has none. */
export function optionsOf(key: string): ChannelOptions | undefined {
  try {
    return parseChannelKey(key).options
  } catch {
    return undefined
  }
}
