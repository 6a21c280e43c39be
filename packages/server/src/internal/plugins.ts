import { ErrorCode, RealtimeError, isRealtimeError, type Logger } from '@org/realtime-core'
import type { EventMiddleware } from '../hooks.js'
import type { RealtimePlugin } from '../plugin.js'

/** Hooks that only observe: what they throw is logged. */
type ObserverHook = 'onConnection' | 'onDetached' | 'onResumed' | 'onDisconnect' | 'onMoved' | 'onJoin' | 'onLeave' | 'afterSubscribe' | 'afterUnsubscribe'

/** Hooks that guard an action: what they throw refuses it. */
type GuardHook = 'beforeSubscribe' | 'beforeUnsubscribe'

type HookArgs<TData, K extends keyof RealtimePlugin<TData>> = RealtimePlugin<TData>[K] extends ((...args: infer A) => unknown) | undefined ? A : never

/** The plugins of a server, in the order they were added, with the namespaces they claim. */
export class Plugins<TData> {
  readonly #list: Array<RealtimePlugin<TData>> = []
  /** Claimed channel-name prefixes and their plugin. */
  readonly #claims: Array<[prefix: string, plugin: RealtimePlugin<TData>]> = []
  readonly #logger: Logger

  constructor(logger: Logger) {
    this.#logger = logger
  }

  /**
   * Adds `plugin`; returns the event middleware running its `beforeEvent`, if it has one.
   * @throws Error when it claims a namespace that overlaps one another plugin claims.
   */
  add(plugin: RealtimePlugin<TData>): EventMiddleware<TData> | undefined {
    for (const prefix of plugin.namespaces ?? []) {
      const taken = this.#claims.find(([claimed]) => claimed.startsWith(prefix) || prefix.startsWith(claimed))
      if (taken !== undefined) {
        throw new Error(`Plugins "${taken[1].name}" and "${plugin.name}" both claim channels starting with "${taken[0].length < prefix.length ? taken[0] : prefix}"`)
      }
    }
    for (const prefix of plugin.namespaces ?? []) this.#claims.push([prefix, plugin])
    this.#list.push(plugin)
    const beforeEvent = plugin.beforeEvent
    if (beforeEvent === undefined) return undefined
    return async (event, next) => {
      await this.#guarded(plugin, 'beforeEvent', () => beforeEvent.call(plugin, event))
      await next()
    }
  }

  /** The plugin that claims `channel`'s namespace, if one does. */
  claimant(channel: string): RealtimePlugin<TData> | undefined {
    if (this.#claims.length === 0) return undefined
    return this.#claims.find(([prefix]) => channel.startsWith(prefix))?.[1]
  }

  /** Whether some plugin has `hook`: when none has, the server skips the asynchronous path. */
  has(hook: keyof RealtimePlugin<TData>): boolean {
    return this.#list.some((plugin) => plugin[hook] !== undefined)
  }

  /** Calls `hook` of every plugin that has it, in order; what one throws is logged. */
  notify<K extends ObserverHook>(hook: K, ...args: HookArgs<TData, K>): void {
    for (const plugin of this.#list) {
      const call = plugin[hook] as ((...hookArgs: HookArgs<TData, K>) => void) | undefined
      if (call === undefined) continue
      try {
        call.apply(plugin, args)
      } catch (error) {
        this.#logger.error(`plugin "${plugin.name}" ${hook} threw`, { error })
      }
    }
  }

  /**
   * Calls `hook` of every plugin that has it, in order, waiting for each.
   * @throws RealtimeError the plugin's own, or `HANDLER_ERROR` (logged) for anything else it threw.
   */
  async guard<K extends GuardHook>(hook: K, ...args: HookArgs<TData, K>): Promise<void> {
    for (const plugin of this.#list) {
      const call = plugin[hook] as ((...hookArgs: HookArgs<TData, K>) => void | Promise<void>) | undefined
      if (call !== undefined) await this.#guarded(plugin, hook, () => call.apply(plugin, args))
    }
  }

  /** Calls `onClose` of every plugin, in order; what one throws is logged. */
  async close(): Promise<void> {
    for (const plugin of this.#list) {
      try {
        await plugin.onClose?.()
      } catch (error) {
        this.#logger.error(`plugin "${plugin.name}" onClose threw`, { error })
      }
    }
  }

  async #guarded(plugin: RealtimePlugin<TData>, hook: string, run: () => void | Promise<void>): Promise<void> {
    try {
      await run()
    } catch (error) {
      if (isRealtimeError(error)) throw error
      this.#logger.error(`plugin "${plugin.name}" ${hook} threw`, { error })
      throw new RealtimeError(ErrorCode.HandlerError, 'A server plugin failed')
    }
  }
}
