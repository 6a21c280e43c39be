import type { DefaultEvents, EventMap } from '@org/realtime-core'
import type { RealtimeClient } from '@org/realtime-client'
import { document, type ClientDocument } from './document.js'
import type { DocumentOptions } from './options.js'

declare module '@org/realtime-client' {
  // Merges with the class (same type parameters): `client.document(id)` once `installDocuments(RealtimeClient)` ran.
  interface RealtimeClient<ServerEvents extends EventMap<ServerEvents> = DefaultEvents, ClientEvents extends EventMap<ClientEvents> = DefaultEvents> {
    /**
     * The collaborative document `id`: the same as `document(client, id, options)` of
     * `@org/realtime-ot/client`. Present once `installDocuments(RealtimeClient)` ran (the
     * client package itself does not carry documents, to stay small).
     */
    document(id: string, options?: DocumentOptions): ClientDocument
  }
}

/** A class with a prototype: `RealtimeClient`, or a subclass of it. */
type ClientClass = abstract new (...args: never[]) => RealtimeClient<any, any>

/**
 * Adds `client.document(id, options)` to every `RealtimeClient` (the class passed, and its
 * subclasses): call it once, at start-up, before the first `client.document(…)`. Typing comes
 * with the import of `@org/realtime-ot/client`; the method itself only after this call. Calling it
 * again does nothing. `document(client, id)` works with or without it.
 *
 * @example
 * import { RealtimeClient } from '@org/realtime-client'
 * import { installDocuments } from '@org/realtime-ot/client'
 * installDocuments(RealtimeClient)
 * const doc = new RealtimeClient(url).document('notes')
 */
export function installDocuments(Client: ClientClass): void {
  const prototype = Client.prototype as { document?: unknown }
  if (Object.prototype.hasOwnProperty.call(prototype, 'document')) return
  Object.defineProperty(prototype, 'document', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function (this: RealtimeClient, id: string, options?: DocumentOptions): ClientDocument {
      return document(this, id, options)
    },
  })
}
