/**
 * The client half of collaborative documents: `document(client, id)` (or `client.document(id)`
 * after `installDocuments(RealtimeClient)`), pending-edit persistence and remote cursors.
 * @module @org/realtime-ot/client
 */
export { ClientDocument, document, type ChangeEvent, type ChangeSource, type DocumentEvents, type DocumentStatus } from './client/document.js'
export { installDocuments } from './client/install.js'
export type { DocumentOptions } from './client/options.js'
export {
  localStoragePending,
  type KeyValueStorage,
  type LocalStoragePendingOptions,
  type PendingEdits,
  type PendingStore,
} from './client/pending-store.js'
export type { RemoteCursor } from './client/remote-cursors.js'
export { DocumentErrorCode } from './shared/protocol.js'
